"""Transferability metrics: scores of a source model's features (or head) on a target task.

Each metric is a pure function of numpy arrays, computed in float64; a higher score predicts a
better transfer. Features are [N, D] (N samples of the target set, D feature dimensions); class
labels are integers [N], mapped to contiguous indices over the classes present (so any integer
coding, and any relabelling, gives the same score); metrics on labels need at least 2 classes.

- LogME: K. You, Y. Liu, J. Wang, M. Long, "LogME: Practical Assessment of Pre-trained Models
  for Transfer Learning", ICML 2021; the fixed-point iteration is Algorithm 3 of K. You et al.,
  "Ranking and Tuning Pre-trained Models: A New Paradigm for Exploiting Model Hubs", JMLR 2022
  (arXiv:2110.10545). Per target column y (one-hot columns of the classes present, or each
  regression output), the log evidence of y = F w + e, w ~ N(0, I / alpha), e ~ N(0, I / beta),
  maximised over alpha, beta, divided by N; the score is the mean over columns. With the thin SVD
  F = U S V^T restricted to its k = rank(F) nonzero singular values (sigma_i = s_i^2), x = U^T y
  and t = alpha / beta, the log evidence is exactly
      2 L = N log beta + k log alpha - N log 2 pi - beta res2 - alpha m2
            - sum_{i <= k} log(alpha + beta sigma_i),
  with m2 = sum sigma_i x_i^2 / (sigma_i + t)^2 and res2 = sum x_i^2 t^2 / (sigma_i + t)^2
  + |y - U x|^2. The N < D fix: the reference codes (thuml/LogME, google-research
  stable_transfer) write D log alpha there; that is right only when k = D (N >= D, full rank).
  With N < D only k <= N singular values exist and the D - k missing directions add nothing to
  the evidence, so their (D - k) / 2 log alpha term is wrong (thuml/LogME PR #24); this module
  uses k log alpha, which equals log N(y; 0, I / beta + F F^T / alpha) in every regime. The
  maximiser comes from You et al.'s fixed-point iteration (gamma = sum sigma / (sigma + t),
  alpha = gamma / m2, beta = (N - gamma) / res2), run from alpha = beta = 1 until t changes by
  less than 1e-10 relative (at most 10,000 updates), not the reference's at most 11 updates to a
  1e-2 tolerance, which can stop far from the maximum; no 1e-5 is added to the denominators. The
  updates converge linearly, at times very slowly, so after every two of them an extrapolated t
  (Aitken's, or a step along the updates that doubles while it succeeds) replaces them when it
  has a higher evidence: the fixed point is the same, reached in tens of updates. The evidence
  can also be largest on the boundary: alpha -> inf (w = 0, y pure noise) always has a finite
  limit, and so does beta -> inf (y = F w exactly) when k = N; the score is the largest of the
  fixed point's and these limits, i.e. the supremum of the evidence.
- H-score: Y. Bao et al., "An Information-Theoretic Approach to Transferability in Task
  Transfer Learning", ICIP 2019.
  tr(pinv(cov_f) cov_g), a matrix product (google-research's code multiplies element-wise where
  its docstring says matrix product), cov_g the covariance of each sample's class-mean feature,
  both covariances with n - 1 denominators, numpy's pinv cut-off (1e-15) as thuml's tllib.
- Regularised H-score: S. Ibrahim, N. Ponomareva, R. Mazumder, "Newer is not always better:
  Rethinking transferability metrics, their peculiarities, stability and performance", ECML PKDD
  2022. As tllib's `regularized_h_score`: centred float64 features, sklearn's LedoitWolf fit
  (covariance_ = (1 - alpha) S + alpha tr(S) / D I, S with a 1 / n denominator, alpha =
  shrinkage_), then tr(pinv(covariance_) (1 - alpha) cov_g), cov_g with n - 1 as above.
- LEEP: C. V. Nguyen, T. Hassner, M. Seeger, C. Archambeau, "LEEP: A New Measure to Evaluate
  Transferability of Learned Representations", ICML 2020. Needs the source head's probabilities.
- N-LEEP: Y. Li et al., "Ranking Neural Checkpoints", CVPR 2021. PCA keeping 80% of the
  variance, a full-covariance Gaussian mixture of 5 x (number of classes) components (at most
  N), LEEP on its posteriors. The PCA and the mixture are fitted on the samples sorted
  lexicographically by feature, so the score does not depend on the order of the samples
  (sklearn's k-means initialisation does); the reference fits them in the given order.
- GBC: M. Pandy et al., "Transferability Estimation using Bhattacharyya Class Separability",
  CVPR 2022. PCA to min(64, D, N) dimensions, per class a Gaussian with diagonal variance
  (population variance, clamped at 1e-4), Bhattacharyya distances of every ordered pair of
  classes, GBC = - sum exp(-D_B). With `spherical`, one variance per class (the mean of its
  clamped diagonal) in every dimension, its log term counted in each dimension as the
  Bhattacharyya distance has it (google-research's spherical code counts it once).

The reference implementations and their evaluation: A. Agostinelli et al., "How stable are
Transferability Metrics evaluations?", ECCV 2022 (google-research stable_transfer).
sklearn is imported only by the metrics that use it (regularised H-score, N-LEEP, GBC).
"""

import warnings

import numpy as np

# The metrics by name, as configs and `python -m transfer.rank_sources` name them.
METRICS = ('logme', 'hscore', 'regularized_hscore', 'nleep', 'gbc', 'leep')

_LOGME_TOL = 1e-10
_LOGME_MAX_ITER = 10_000
_GBC_MIN_VARIANCE = 1e-4
_GBC_MAX_DIMS = 64
_NLEEP_VARIANCE = 0.8
_NLEEP_COMPONENTS_PER_CLASS = 5


def class_indices(labels, num_samples=None, min_classes=2):
  """Integer labels [N] (or [N, 1]) -> (indices [N] in 0..C-1 over the sorted classes present, C).

  Raises ValueError unless labels are integers of length `num_samples` (when given) with at
  least `min_classes` distinct values.
  """
  labels = np.asarray(labels)
  if labels.ndim == 2 and labels.shape[1] == 1:
    labels = labels[:, 0]
  if labels.ndim != 1:
    raise ValueError(f'labels must be 1-D [N], got shape {labels.shape}.')
  if not np.issubdtype(labels.dtype, np.integer):
    raise ValueError(f'class labels must be integers, got dtype {labels.dtype}.')
  if num_samples is not None and labels.shape[0] != num_samples:
    raise ValueError(f'labels has {labels.shape[0]} entries for {num_samples} samples.')
  classes, indices = np.unique(labels, return_inverse=True)
  if classes.size < min_classes:
    raise ValueError(f'need at least {min_classes} classes, labels have {classes.size}.')
  return indices.reshape(-1), classes.size


def _features(features, name='features', min_samples=2):
  """float64 [N, D] copy of `features`, finite, with N >= min_samples; else ValueError."""
  array = np.asarray(features)
  if array.ndim != 2 or array.shape[1] < 1:
    raise ValueError(f'{name} must be 2-D [N, D] with D >= 1, got shape {array.shape}.')
  if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
    raise ValueError(f'{name} must be numeric, got dtype {array.dtype}.')
  array = array.astype(np.float64)
  if array.shape[0] < min_samples:
    raise ValueError(f'{name} needs at least {min_samples} samples, got {array.shape[0]}.')
  if not np.all(np.isfinite(array)):
    raise ValueError(f'{name} contains NaN or infinite values.')
  return array


def _class_means(features, indices, num_classes):
  """[C, D] mean feature of each class."""
  sums = np.zeros((num_classes, features.shape[1]))
  np.add.at(sums, indices, features)
  return sums / np.bincount(indices, minlength=num_classes)[:, None]


def _pca(features, n_components):
  """sklearn's exact PCA of `features`; int n_components or a fraction of the variance."""
  from sklearn.decomposition import PCA  # pylint: disable=g-import-not-at-top
  if not np.any(np.var(features, axis=0) > 0):
    raise ValueError('features are constant: PCA is undefined.')
  return PCA(n_components=n_components, svd_solver='full').fit(features)


# ------------------------------------------------------------------------------------- LogME


def _logme_targets(labels, num_samples):
  """[N, K] float64 target columns: one-hot (integer labels) or the regression outputs."""
  labels = np.asarray(labels)
  if np.issubdtype(labels.dtype, np.integer):  # [N] or [N, 1].
    indices, num_classes = class_indices(labels, num_samples, min_classes=1)
    return np.eye(num_classes)[indices]
  if not np.issubdtype(labels.dtype, np.floating):
    raise ValueError(f'labels must be integers (classes) or floats (regression), got '
                     f'{labels.dtype}.')
  targets = labels.astype(np.float64)
  if targets.ndim == 1:
    targets = targets[:, None]
  if targets.ndim != 2 or targets.shape[0] != num_samples:
    raise ValueError(f'regression labels must be [N] or [N, K] with N = {num_samples}, got '
                     f'shape {labels.shape}.')
  if not np.all(np.isfinite(targets)):
    raise ValueError('labels contain NaN or infinite values.')
  if np.any(np.all(targets == 0, axis=0)):
    raise ValueError('a regression target column is all zero: its evidence is unbounded.')
  return targets


def _logme_evidence(sigma, x2, r2, n, alpha, beta):
  """Log evidence [K] of each column at (alpha, beta) [K] (equation in the module docstring)."""
  t = alpha / beta
  m2 = np.sum(sigma * x2 / (sigma + t) ** 2, axis=0)
  res2 = np.sum(x2 * (t / (sigma + t)) ** 2, axis=0) + r2
  k = sigma.shape[0]
  return 0.5 * (n * np.log(beta) + k * np.log(alpha) - n * np.log(2 * np.pi) - beta * res2
                - alpha * m2 - np.sum(np.log(alpha + beta * sigma), axis=0))


def _logme_update(t, sigma, x2, r2, n, bounds):
  """One fixed-point update t -> alpha / beta (alpha = gamma / m2, beta = (N - gamma) / res2)."""
  gamma = np.sum(sigma / (sigma + t), axis=0)
  m2 = np.sum(sigma * x2 / (sigma + t) ** 2, axis=0)
  res2 = np.sum(x2 * (t / (sigma + t)) ** 2, axis=0) + r2
  with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
    t_new = (gamma / m2) / ((n - gamma) / res2)
  t_new = np.where(np.isnan(t_new), np.where(m2 > 0, bounds[0], bounds[1]), t_new)
  return np.clip(t_new, *bounds)


def _logme_settled(t, t_new, bounds):
  return (np.abs(t_new - t) <= _LOGME_TOL * t) | (t_new <= bounds[0]) | (t_new >= bounds[1])


def _logme_profile(t, sigma, x2, r2, n):
  """2 x log evidence maximised over beta at alpha = t beta, up to a constant."""
  q = np.sum(t * x2 / (sigma + t), axis=0) + r2
  return -n * np.log(q) - np.sum(np.log1p(sigma / t), axis=0)


def logme_columns(features, targets):
  """Per-column LogME of float targets [N, K]: (evidence / N [K], alpha [K], beta [K]).

  alpha (beta) is inf where the supremum is the limit alpha -> inf (beta -> inf); see the module
  docstring for the evidence and the iteration.
  """
  f = _features(features)
  n = f.shape[0]
  y = _logme_targets(np.asarray(targets, np.float64), n)
  u, s, _ = np.linalg.svd(f, full_matrices=False)
  keep = s > s.max() * max(f.shape) * np.finfo(np.float64).eps
  u, s = u[:, keep], s[keep]
  sigma = (s ** 2)[:, None]  # [k, 1]
  k = s.size
  num_columns = y.shape[1]
  norm2 = np.sum(y ** 2, axis=0)
  # alpha -> inf: y ~ N(0, I / beta) with beta = N / |y|^2.
  best = -0.5 * n * (np.log(2 * np.pi * norm2 / n) + 1)
  best_alpha, best_beta = np.full(num_columns, np.inf), n / norm2
  if k == 0:
    return best / n, best_alpha, best_beta
  x = u.T @ y  # [k, K]
  x2 = x ** 2
  # |y - U x|^2; exactly 0 when k = N (U is then square).
  r2 = np.zeros(num_columns) if k == n else np.sum((y - u @ x) ** 2, axis=0)
  if k == n:  # beta -> inf: y = F w exactly, y ~ N(0, F F^T / alpha), alpha = N / sum x^2/sigma.
    alpha0 = n / np.sum(x2 / sigma, axis=0)
    limit = 0.5 * (n * np.log(alpha0) - n * np.log(2 * np.pi) - np.sum(np.log(sigma)) - n)
    better = limit > best
    best = np.where(better, limit, best)
    best_alpha = np.where(better, alpha0, best_alpha)
    best_beta = np.where(better, np.inf, best_beta)
  # You et al.'s fixed point in t, all columns at once, accelerated after every two updates by
  # the better of an Aitken step on log t and a step along the updates that doubles while it
  # succeeds (the updates crawl where the evidence is flat), each taken only if it raises the
  # evidence. A column stops when t settles, or when the update from beyond 1e6 sigma_max (or,
  # when k = N, below 1e-6 sigma_min) points further out: there the evidence is monotone in t
  # (the first order of its expansion in sigma / t, or t / sigma, dominates), so the limit above
  # is the supremum.
  bounds = (1e-6 if k == n else 1e-15) * sigma.min(), 1e6 * sigma.max()
  profile = lambda t: _logme_profile(t, sigma, x2, r2, n)
  t0 = np.ones(num_columns)
  stride = np.ones(num_columns)
  active = np.ones(num_columns, bool)
  for _ in range(_LOGME_MAX_ITER // 2):
    t1 = _logme_update(t0, sigma, x2, r2, n, bounds)
    t2 = _logme_update(t1, sigma, x2, r2, n, bounds)
    settled = (_logme_settled(t0, t1, bounds) | _logme_settled(t1, t2, bounds))
    d1, d2 = np.log(t1) - np.log(t0), np.log(t2) - np.log(t1)
    with np.errstate(divide='ignore', invalid='ignore', over='ignore'):
      aitken = np.where(d1 != d2, np.log(t2) - d2 ** 2 / (d2 - d1), np.log(t2))
      aitken = np.clip(np.exp(np.where(np.isnan(aitken), np.log(t2), aitken)), *bounds)
      walk = np.clip(np.exp(np.log(t2) + stride * d2), *bounds)
    p2, p_aitken, p_walk = profile(t2), profile(aitken), profile(walk)
    use_walk = (p_walk > p2) & (p_walk >= p_aitken)
    use_aitken = ~use_walk & (p_aitken > p2)
    stride = np.where(use_walk, 2 * stride, 1.0)
    t_next = np.where(use_walk, walk, np.where(use_aitken, aitken, t2))
    t0 = np.where(active, np.where(settled, t2, t_next), t0)
    active &= ~settled
    if not active.any():
      break
  else:
    warnings.warn(f'LogME fixed point did not converge in {_LOGME_MAX_ITER} updates for '
                  f'{int(active.sum())} column(s).', RuntimeWarning, stacklevel=3)
  t = t0
  # alpha, beta from the final t (one more update), and the evidence at that point.
  gamma = np.sum(sigma / (sigma + t), axis=0)
  m2 = np.sum(sigma * x2 / (sigma + t) ** 2, axis=0)
  res2 = np.sum(x2 * (t / (sigma + t)) ** 2, axis=0) + r2
  with np.errstate(divide='ignore', invalid='ignore'):
    alpha, beta = gamma / m2, (n - gamma) / res2
    interior = (alpha > 0) & (beta > 0) & np.isfinite(alpha) & np.isfinite(beta)
    alpha, beta = np.where(interior, alpha, 1.0), np.where(interior, beta, 1.0)
    evidence = np.where(interior, _logme_evidence(sigma, x2, r2, n, alpha, beta), -np.inf)
  better = evidence > best
  best = np.where(better, evidence, best)
  best_alpha = np.where(better, alpha, best_alpha)
  best_beta = np.where(better, beta, best_beta)
  return best / n, best_alpha, best_beta


def logme(features, labels) -> float:
  """LogME: maximum log evidence / N of a Bayesian linear model on `features`, mean over targets.

  Args:
    features: [N, D] source features of the target samples.
    labels: int [N] class labels (one-hot target per class present), or float [N] / [N, K]
      regression targets (one target per column).
  """
  f = _features(features)
  evidence, _, _ = logme_columns(f, _logme_targets(labels, f.shape[0]))
  return float(np.mean(evidence))


# ------------------------------------------------------------------------------------ H-score


def hscore(features, labels) -> float:
  """H-score tr(pinv(cov_f) @ cov_g), cov_g the covariance of the class-mean features (n - 1)."""
  f = _features(features)
  indices, num_classes = class_indices(labels, f.shape[0])
  g = _class_means(f, indices, num_classes)[indices]
  cov_f = np.cov(f, rowvar=False).reshape(f.shape[1], f.shape[1])
  cov_g = np.cov(g, rowvar=False).reshape(f.shape[1], f.shape[1])
  return float(np.trace(np.linalg.pinv(cov_f, rcond=1e-15) @ cov_g))


def regularized_hscore(features, labels) -> float:
  """Regularised H-score tr(pinv(cov_alpha) @ (1 - alpha) cov_g), sklearn LedoitWolf cov_alpha.

  As tllib's `regularized_h_score`: centred features; cov_alpha and alpha are LedoitWolf's
  covariance_ and shrinkage_; cov_g the covariance (n - 1) of the class-mean features.
  """
  from sklearn.covariance import LedoitWolf  # pylint: disable=g-import-not-at-top
  f = _features(features)
  indices, num_classes = class_indices(labels, f.shape[0])
  f = f - f.mean(axis=0, keepdims=True)
  fit = LedoitWolf(assume_centered=False).fit(f)
  alpha, cov_alpha = fit.shrinkage_, fit.covariance_
  g = _class_means(f, indices, num_classes)[indices]
  cov_g = np.cov(g, rowvar=False).reshape(f.shape[1], f.shape[1])
  return float(np.trace(np.linalg.pinv(cov_alpha, rcond=1e-15) @ ((1 - alpha) * cov_g)))


# --------------------------------------------------------------------------------------- LEEP


def leep(source_probs, labels) -> float:
  """LEEP: mean log expected empirical prediction of the source head's probabilities.

  P(y, z) = mean_i theta_z(x_i) 1[y_i = y], P(y | z) = P(y, z) / P(z),
  LEEP = mean_i log sum_z theta_z(x_i) P(y_i | z).

  Args:
    source_probs: [N, Z] source-class probabilities of each target sample (rows sum to 1).
    labels: int [N] target labels (any label space; need not match the source's).
  """
  theta = _features(source_probs, 'source_probs', min_samples=1)
  if np.any(theta < 0) or not np.allclose(theta.sum(axis=1), 1.0, rtol=0, atol=1e-4):
    raise ValueError('source_probs rows must be probabilities: non-negative, summing to 1.')
  indices, num_classes = class_indices(labels, theta.shape[0])
  joint = np.zeros((num_classes, theta.shape[1]))
  np.add.at(joint, indices, theta)
  joint = joint.T / theta.shape[0]  # [Z, C]
  marginal = joint.sum(axis=1, keepdims=True)
  conditional = np.divide(joint, marginal, out=np.zeros_like(joint), where=marginal > 0)
  eep = np.sum(theta * conditional[:, indices].T, axis=1)
  return float(np.mean(np.log(eep)))


def nleep(features, labels, seed=0) -> float:
  """N-LEEP: LEEP on the posteriors of a Gaussian mixture fitted to the PCA'd features.

  PCA keeps 80% of the variance; the mixture (sklearn GaussianMixture, full covariance,
  random_state=seed) has min(5 x number of classes, N) components. Both are fitted on the
  samples in lexicographic order of their features, so the order of the samples does not matter.
  """
  from sklearn.mixture import GaussianMixture  # pylint: disable=g-import-not-at-top
  f = _features(features)
  indices, num_classes = class_indices(labels, f.shape[0])
  canonical = f[np.lexsort(f.T[::-1])]
  pca = _pca(canonical, _NLEEP_VARIANCE)
  components = min(_NLEEP_COMPONENTS_PER_CLASS * num_classes, f.shape[0])
  gmm = GaussianMixture(n_components=components, covariance_type='full', random_state=seed)
  gmm.fit(pca.transform(canonical))
  posteriors = gmm.predict_proba(pca.transform(f))
  return leep(posteriors, indices)


# ---------------------------------------------------------------------------------------- GBC


def bhattacharyya_distance(mu1, mu2, var1, var2):
  """Bhattacharyya distance of Gaussians with diagonal variances var1, var2 [..., D].

  D_B = 1/8 sum (mu1 - mu2)^2 / v + 1/2 (sum log v - 1/2 sum log var1 - 1/2 sum log var2),
  v = (var1 + var2) / 2; sums over the last axis.
  """
  v = (var1 + var2) / 2
  return (np.sum((mu1 - mu2) ** 2 / v, axis=-1) / 8
          + 0.5 * np.sum(np.log(v) - 0.5 * np.log(var1) - 0.5 * np.log(var2), axis=-1))


def gbc(features, labels, spherical=False) -> float:
  """GBC: - sum over ordered class pairs c1 != c2 of exp(-Bhattacharyya distance).

  Features are PCA'd to min(64, D, N) dimensions (sklearn, exact); each class is a Gaussian
  with its mean and its per-dimension population variance clamped at 1e-4, or, with
  `spherical`, one variance per class (the mean of the clamped ones) in every dimension (so its
  log-determinant counts each dimension; google-research's spherical code counts it once).
  """
  f = _features(features)
  indices, num_classes = class_indices(labels, f.shape[0])
  z = _pca(f, min(_GBC_MAX_DIMS, f.shape[1], f.shape[0])).transform(f)
  means = _class_means(z, indices, num_classes)
  variances = np.maximum(_class_means((z - means[indices]) ** 2, indices, num_classes),
                         _GBC_MIN_VARIANCE)
  if spherical:
    variances = np.repeat(variances.mean(axis=1, keepdims=True), z.shape[1], axis=1)
  total = 0.0
  for c in range(num_classes):
    others = np.arange(num_classes) != c
    distances = bhattacharyya_distance(means[c], means[others], variances[c], variances[others])
    total += np.sum(np.exp(-distances))
  return float(-total)
