"""Install with `pip install -e .` (tests: `pip install -e '.[test]'`)."""

import setuptools

# The dataset builders live in the top-level folder `datasets/`, but a package
# of that name would shadow Hugging Face `datasets`; they install as
# `transfer_datasets` instead (the folder has no __init__.py on purpose).
_DATASET_PACKAGES = setuptools.find_namespace_packages(
    where='.', include=['datasets', 'datasets.*'], exclude=['*.dummy_data', '*.dummy_data.*'])

setuptools.setup(
    name='transfer',
    version='0.1.0',
    description='Transfer learning across image domains and task types.',
    python_requires='>=3.11,<3.12',
    packages=setuptools.find_packages(include=['transfer', 'transfer.*']) + [
        'transfer_datasets' + name[len('datasets'):]
        for name in _DATASET_PACKAGES],
    package_dir={'transfer_datasets': 'datasets'},
    # The published transfer table and its domain map (transfer/tables/README.md).
    package_data={'transfer': ['tables/*.csv', 'tables/*.json']},
    install_requires=[
        'jax==0.10.2',
        'jaxlib==0.10.2',
        'flax==0.12.8',
        'optax==0.2.8',
        'orbax-checkpoint==0.12.8',
        'ml-collections==1.1.0',
        'clu==0.0.12',
        'numpy==2.4.6',
        'tensorflow-cpu==2.21.0',
        'tensorboard==2.21.0',  # clu's metric writers need it; TF no longer pulls it.
        'tensorflow-datasets==4.9.10',
        # Random-access reading of the prepared datasets and a checkpointable input
        # iterator (transfer/data/pipeline.py).
        'grain==0.2.18',
        'array-record==0.8.6',
        'protobuf==7.36.2',
        'absl-py==2.5.1',
        'etils==1.15.0',
        'pillow==13.0.0',
        'scipy==1.17.1',
        'submitit==1.5.4',  # the study runner's SLURM (and local, debug) executors.
        'h5py==3.14.0',
        'safetensors==0.8.0',  # reads converted-from weights without torch.
        # COCO's RLE and polygon masks in the builders, and COCOeval, which
        # computes COCO AP (transfer/metrics/coco.py).
        'pycocotools==2.0.11',
        # LedoitWolf, PCA and Gaussian mixtures of the transferability metrics
        # (transfer/transferability.py); threadpoolctl pins BLAS in their tests.
        'scikit-learn==1.9.1',
        'threadpoolctl==3.8.0',
        # The analysis of a study (transfer.analysis) and the notebooks.
        'pandas==3.1.1',
        'matplotlib==3.11.2',
        'tabulate==0.10.0',  # pandas' to_markdown.
    ],
    extras_require={
        # dill: tfds.testing.DatasetBuilderTestCase imports it.
        # nbclient, nbformat, ipykernel: the tests run every notebook in colabs/.
        'test': ['pytest==9.0.3', 'dill==0.4.1', 'nbclient==0.11.0', 'nbformat==5.11.1',
                 'ipykernel==7.4.0'],
        # Weight conversion from PyTorch checkpoints, and the equivalence
        # tests against timm / torchvision (CI installs it).
        'convert': ['torch==2.14.1', 'torchvision==0.29.1', 'timm==1.0.31'],
    },
)
