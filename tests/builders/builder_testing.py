"""The base of every dataset builder test.

`BuilderTest` is TFDS's `DatasetBuilderTestCase` (registration, info, a full
`download_and_prepare` from `datasets/<name>/dummy_data/` with split sizes
checked against `SPLITS`, no `os` in the builder), plus `examples()`: the
decoded examples of one split, for tests that check values (class ids,
metres, box corners), not only shapes.

Test modules `import builder_testing` and subclass
`builder_testing.BuilderTest` (a bare name at module level would make pytest
collect the base class itself).
"""

import functools
import tempfile

import tensorflow_datasets as tfds


class BuilderTest(tfds.testing.DatasetBuilderTestCase):
  # Manual downloads: no URLs, nothing to checksum.
  SKIP_CHECKSUMS = True

  @classmethod
  def examples(cls, split: str, config: str | None = None) -> list[dict]:
    """The examples of `split` in their stored (hashed-key) order, built
    once per config; find an example by its content."""
    return _prepared(cls.DATASET_CLASS, config, str(cls.dummy_data))[split]


@functools.cache
def _prepared(builder_class, config, manual_dir):
  builder = builder_class(config=config, data_dir=tempfile.mkdtemp())
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(manual_dir=manual_dir))
  out = {}
  for split in builder.info.splits:
    ds = builder.as_dataset(split=split, shuffle_files=False,
                            read_config=tfds.ReadConfig(add_tfds_id=True))
    out[split] = list(tfds.as_numpy(ds))
  return out
