"""Task plug-ins by name: `task.name = 'depth'` imports transfer.tasks.depth."""

import importlib
import pkgutil

from transfer.errors import UserError

_NOT_TASKS = ('base', 'objects')


def task_names() -> list[str]:
  return sorted(m.name for m in pkgutil.iter_modules(__path__)
                if m.name not in _NOT_TASKS)


def get_task(config, dataset, where: str):
  """Builds the `Task` of transfer.tasks.<config.name> for `dataset`."""
  if config.name not in task_names():
    raise UserError(f'Unknown task {config.name!r}.', where=where,
                    fix=f'use one of: {", ".join(task_names())}.')
  task_cls = importlib.import_module(f'{__name__}.{config.name}').Task
  if task_cls.annotation not in dataset.tasks:
    raise UserError(
        f'Dataset {dataset.name!r} has no {task_cls.annotation} annotations.',
        where=where,
        fix=f'pick a task among its annotations {dataset.tasks}, '
        'or a dataset that has this one.')
  return task_cls(config, dataset)
