"""One error type for bad user input: says what is wrong, where, and how to fix it."""


class UserError(Exception):
  """A problem with the user's config, data or checkpoints (not a bug).

  main.py prints it without a traceback and exits with status 1.
  """

  def __init__(self, what: str, *, where: str, fix: str):
    self.what, self.where, self.fix = what, where, fix
    super().__init__(f'{what}\n  where: {where}\n  how to fix: {fix}')


# Exit status of a run stopped by SIGTERM or SIGINT after saving a checkpoint
# (EX_TEMPFAIL: a scheduler can requeue on it; the same command resumes).
PREEMPTED_EXIT_CODE = 75


class Preempted(Exception):
  """A stage stopped by a signal, its state saved at `step`."""

  def __init__(self, step: int, signal_name: str):
    self.step = step
    super().__init__(f'preempted at step {step} ({signal_name}); the checkpoint of step '
                     f'{step} is saved and the same command resumes from it.')
