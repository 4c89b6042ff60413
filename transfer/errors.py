"""One error type for bad user input: says what is wrong, where, and how to fix it."""


class UserError(Exception):
  """A problem with the user's config, data or checkpoints (not a bug).

  main.py prints it without a traceback and exits with status 1.
  """

  def __init__(self, what: str, *, where: str, fix: str):
    self.what, self.where, self.fix = what, where, fix
    super().__init__(f'{what}\n  where: {where}\n  how to fix: {fix}')
