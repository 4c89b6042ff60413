"""transfer.transferability against independent computations: LogME against the directly
maximised evidence (N < D and N > D), H-scores against explicit covariance sums, LEEP against a
hand-computed joint, GBC against the Bhattacharyya formula, and invariances of every metric."""

import math

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
from sklearn.covariance import LedoitWolf
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
import threadpoolctl

from transfer import transferability as tm


@pytest.fixture(autouse=True, scope='module')
def _one_blas_thread():
  """Small matrices: one BLAS thread each, so a busy machine does not thrash."""
  with threadpoolctl.threadpool_limits(limits=1):
    yield


# ------------------------------------------------------------------------------------- LogME


def _direct_log_evidence(gram, y, log_alpha, log_beta):
  """log N(y; 0, I / beta + F F^T / alpha) from the N x N covariance, and its gradient in
  (log alpha, log beta); (-inf, 0) where the covariance is not numerically positive definite."""
  n = y.shape[0]
  cov = np.exp(-log_beta) * np.eye(n) + np.exp(-log_alpha) * gram
  try:
    factor = scipy.linalg.cho_factor(cov, lower=True)
  except np.linalg.LinAlgError:
    return -np.inf, np.zeros(2)
  z = scipy.linalg.cho_solve(factor, y)
  inverse = scipy.linalg.cho_solve(factor, np.eye(n))
  logdet = 2 * np.sum(np.log(np.diag(factor[0])))
  value = -0.5 * (n * math.log(2 * math.pi) + logdet + y @ z)
  grad = 0.5 * np.array([np.exp(-log_alpha) * (np.sum(inverse * gram) - z @ gram @ z),
                         np.exp(-log_beta) * (np.trace(inverse) - z @ z)])
  return value, grad


def _direct_max_evidence(features, y):
  """max over (log alpha, log beta) in [-30, 30]^2 of the direct log evidence / N, several
  L-BFGS-B starts; returns (value, alpha, beta)."""
  gram = features @ features.T
  n = y.shape[0]

  def objective(params):
    value, grad = _direct_log_evidence(gram, y, *params)
    return (-value / n, -grad / n) if np.isfinite(value) else (1e10, np.zeros(2))

  best = None
  for start in [(0.0, 0.0), (-4.0, 3.0), (4.0, -2.0), (8.0, 1.0), (-2.0, 8.0)]:
    result = scipy.optimize.minimize(objective, start, jac=True, method='L-BFGS-B',
                                     bounds=[(-30, 30)] * 2,
                                     options=dict(ftol=1e-15, gtol=1e-12, maxiter=2000))
    if best is None or result.fun < best.fun:
      best = result
  return -best.fun, math.exp(best.x[0]), math.exp(best.x[1])


def _classification_data(rng, n, d, num_classes=3):
  """Random non-negative (ReLU-like) features, labels the argmax of a random linear map of them
  (plus noise)."""
  features = np.maximum(rng.normal(size=(n, d)), 0)
  scores = features @ rng.normal(size=(d, num_classes)) / math.sqrt(d)
  labels = np.argmax(scores + 0.5 * rng.normal(size=scores.shape), axis=1)
  return features, labels


def _regression_data(rng, n, d, outputs=2):
  """Features and targets driven by 5 shared latent factors, plus noise."""
  latent = rng.normal(size=(n, 5))
  features = latent @ rng.normal(size=(5, d)) + 0.5 * rng.normal(size=(n, d))
  return features, latent @ rng.normal(size=(5, outputs)) + 0.5 * rng.normal(size=(n, outputs))


@pytest.mark.parametrize('n,d', [(50, 200), (200, 50)])
@pytest.mark.parametrize('task', ['classification', 'regression'])
def test_logme_equals_directly_maximised_evidence(n, d, task):
  rng = np.random.default_rng(n + 7 * d + len(task))
  if task == 'classification':
    features, labels = _classification_data(rng, n, d)
    targets = np.eye(3)[labels]
  else:
    features, labels = _regression_data(rng, n, d)
    targets = labels
  score = tm.logme(features, labels)
  evidence, alpha, beta = tm.logme_columns(features, targets)
  assert np.all(np.isfinite(alpha)) and np.all(np.isfinite(beta)), 'expected interior maxima'
  direct = []
  for column in range(targets.shape[1]):
    y = targets[:, column]
    # The formula: logme's evidence at its (alpha, beta) is the direct log evidence there.
    at_fixed_point, _ = _direct_log_evidence(features @ features.T, y, math.log(alpha[column]),
                                             math.log(beta[column]))
    assert evidence[column] == pytest.approx(at_fixed_point / n, rel=1e-10)
    # The maximisation: no (alpha, beta) does better than logme's.
    value, direct_alpha, direct_beta = _direct_max_evidence(features, y)
    assert value <= evidence[column] + 1e-12
    assert value == pytest.approx(evidence[column], rel=1e-6)
    assert direct_alpha == pytest.approx(alpha[column], rel=1e-2)
    assert direct_beta == pytest.approx(beta[column], rel=1e-2)
    direct.append(value)
  assert score == pytest.approx(np.mean(direct), rel=1e-6)
  # The reference codes' evidence adds (D - k) / 2 log alpha / N: wrong exactly when N < D.
  rank = min(n, d)
  reference = np.mean(evidence + (d - rank) / 2 * np.log(alpha) / n)
  if n < d:
    assert reference - score > 1.0
  else:
    assert reference == score


def test_logme_rank_deficient_features():
  """N > D but rank(F) < D (a repeated and a constant column): still the direct maximum."""
  rng = np.random.default_rng(2)
  features, labels = _classification_data(rng, 100, 20)
  features[:, 1] = 3 * features[:, 0]
  features[:, 2] = 1.0
  evidence, alpha, _ = tm.logme_columns(features, np.eye(3)[labels])
  assert np.all(np.isfinite(alpha))
  for column in range(3):
    value, _, _ = _direct_max_evidence(features, (labels == column).astype(float))
    assert value <= evidence[column] + 1e-12
    assert value == pytest.approx(evidence[column], rel=1e-6)


@pytest.mark.parametrize('limit', ['alpha', 'beta'])
def test_logme_boundary_maxima(limit):
  """The supremum on a boundary: alpha -> inf (w = 0: random targets, N > D), or, with N < D,
  beta -> inf (y = F w exactly: y = U s, each direction's energy that of y ~ N(0, F F^T))."""
  rng = np.random.default_rng(0)
  if limit == 'alpha':
    features, y = rng.normal(size=(120, 10)), rng.normal(size=120)
  else:
    features = rng.normal(size=(30, 60))
    u, s, _ = np.linalg.svd(features, full_matrices=False)
    y = u @ s
  n = y.shape[0]
  evidence, alpha, beta = tm.logme_columns(features, y[:, None])
  if limit == 'alpha':  # max over beta of log N(y; 0, I / beta).
    expected = -0.5 * n * (math.log(2 * math.pi * (y @ y) / n) + 1)
    assert alpha[0] == np.inf
  else:  # max over alpha of log N(y; 0, F F^T / alpha).
    gram = features @ features.T
    alpha0 = n / (y @ np.linalg.solve(gram, y))
    expected = -0.5 * (n * math.log(2 * math.pi) + np.linalg.slogdet(gram)[1]
                       - n * math.log(alpha0) + n)
    assert alpha0 == pytest.approx(1.0, rel=1e-10)
    assert beta[0] == np.inf and alpha[0] == pytest.approx(alpha0, rel=1e-10)
  assert evidence[0] == pytest.approx(expected / n, rel=1e-12)
  value, _, _ = _direct_max_evidence(features, y)
  assert value <= evidence[0] + 1e-12 and value == pytest.approx(evidence[0], rel=1e-6)
  assert tm.logme(features, y) == evidence[0]


def test_logme_classification_is_the_mean_over_one_hot_columns():
  rng = np.random.default_rng(4)
  features, labels = _classification_data(rng, 80, 12, num_classes=4)
  labels = np.array([10, 20, 30, 40])[labels]
  per_class = [tm.logme(features, (labels == c).astype(np.float64)) for c in np.unique(labels)]
  assert tm.logme(features, labels) == pytest.approx(np.mean(per_class), rel=1e-12)


# ------------------------------------------------------------------------------------ H-score


def _loop_covariance(rows):
  mean = sum(rows) / len(rows)
  return sum(np.outer(r - mean, r - mean) for r in rows) / (len(rows) - 1)


def _loop_class_mean_features(features, labels):
  """Each sample's class-mean feature, by explicit per-class sums."""
  sums, counts = {}, {}
  for row, label in zip(features, labels):
    sums[label] = sums.get(label, 0) + row
    counts[label] = counts.get(label, 0) + 1
  return [sums[label] / counts[label] for label in labels]


def _hscore_data(rng, n=120, d=6):
  labels = rng.integers(0, 4, size=n)
  features = rng.normal(size=(n, d)) + 0.8 * rng.normal(size=(4, d))[labels]
  return features, labels


def test_hscore_equals_explicit_covariance_sums():
  rng = np.random.default_rng(5)
  features, labels = _hscore_data(rng)
  cov_f = _loop_covariance(list(features))
  cov_g = _loop_covariance(_loop_class_mean_features(features, labels))
  expected = np.trace(np.linalg.solve(cov_f, cov_g))
  assert tm.hscore(features, labels) == pytest.approx(expected, rel=1e-10)
  # Not the element-wise product of google-research's code.
  assert abs(np.trace(np.linalg.pinv(cov_f) * cov_g) - expected) > 1e-3


def test_regularized_hscore_equals_ledoit_wolf_formula():
  rng = np.random.default_rng(6)
  features, labels = _hscore_data(rng, n=60, d=20)
  n, d = features.shape
  centred = features - features.mean(axis=0)
  emp = centred.T @ centred / n
  mu = np.trace(emp) / d
  # Ledoit & Wolf (2004): shrinkage = min(b^2, d^2) / d^2 with
  # b^2 = 1/n^2 sum_i |x_i x_i^T - S|_F^2, d^2 = |S - mu I|_F^2.
  b2 = sum(np.sum((np.outer(x, x) - emp) ** 2) for x in centred) / n ** 2
  d2 = np.sum((emp - mu * np.eye(d)) ** 2)
  shrinkage = min(b2, d2) / d2
  assert 0 < shrinkage < 1
  assert shrinkage == pytest.approx(LedoitWolf().fit(centred).shrinkage_, rel=1e-10)
  cov_alpha = (1 - shrinkage) * emp + shrinkage * mu * np.eye(d)
  cov_g = _loop_covariance(_loop_class_mean_features(centred, labels))
  expected = np.trace(np.linalg.solve(cov_alpha, (1 - shrinkage) * cov_g))
  assert tm.regularized_hscore(features, labels) == pytest.approx(expected, rel=1e-10)


# --------------------------------------------------------------------------------------- LEEP


def test_leep_matches_hand_computed_joint():
  theta = np.array([[0.7, 0.2, 0.1],
                    [0.1, 0.8, 0.1],
                    [0.2, 0.2, 0.6]])
  labels = np.array([5, 9, 5])
  # Joint P(y, z) * 3: y=5 -> (0.9, 0.4, 0.7), y=9 -> (0.1, 0.8, 0.1); P(z) * 3 = (1, 1.2, 0.8).
  # P(5 | z) = (0.9, 1/3, 0.875), P(9 | z) = (0.1, 2/3, 0.125).
  eep = [0.7 * 0.9 + 0.2 / 3 + 0.1 * 0.875,        # 0.78416...
         0.1 * 0.1 + 0.8 * 2 / 3 + 0.1 * 0.125,    # 0.55583...
         0.2 * 0.9 + 0.2 / 3 + 0.6 * 0.875]        # 0.77166...
  assert tm.leep(theta, labels) == pytest.approx(np.mean(np.log(eep)), rel=1e-12)
  assert tm.leep(theta, labels) == pytest.approx(-0.3632077, abs=1e-7)


def test_leep_perfect_source_head_scores_zero():
  labels = np.array([0, 1, 1, 2, 0])
  assert tm.leep(np.eye(3)[labels], labels) == pytest.approx(0.0, abs=1e-15)


# ------------------------------------------------------------------------------------- N-LEEP


def _clusters(rng, n=150, d=8, num_classes=3, spread=6.0):
  labels = np.repeat(np.arange(num_classes), n // num_classes)
  return rng.normal(size=(n, d)) + spread * rng.normal(size=(num_classes, d))[labels], labels


def test_nleep_is_leep_on_pca_gmm_posteriors_and_deterministic():
  rng = np.random.default_rng(7)
  features, labels = _clusters(rng)
  score = tm.nleep(features, labels, seed=3)
  assert tm.nleep(features, labels, seed=3) == score
  canonical = features[np.lexsort(features.T[::-1])]
  pca = PCA(n_components=0.8, svd_solver='full').fit(canonical)
  assert pca.explained_variance_ratio_.sum() > 0.8 > pca.explained_variance_ratio_[:-1].sum()
  gmm = GaussianMixture(15, covariance_type='full', random_state=3).fit(pca.transform(canonical))
  expected = tm.leep(gmm.predict_proba(pca.transform(features)), labels)
  assert score == pytest.approx(expected, rel=1e-12)
  shuffled = rng.permutation(labels)
  assert score > tm.nleep(features, shuffled, seed=3) + 0.3


def test_nleep_caps_components_at_samples():
  rng = np.random.default_rng(8)
  features, labels = rng.normal(size=(8, 3)), np.arange(8) % 4  # 20 components wanted, 8 given.
  assert np.isfinite(tm.nleep(features, labels))


# ---------------------------------------------------------------------------------------- GBC


def test_gbc_two_gaussians_closed_form():
  """Classes at (0, 0) and (m, 0), each the 4 points mean + (+-a, +-b) (resp. c, d): class
  means and variances are exact, the total covariance is diagonal, so the PCA is the identity
  up to signs."""
  a, b, c, d, m = 1.0, 0.5, 0.8, 0.3, 3.0
  corners = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], float)
  features = np.concatenate([corners * [a, b], corners * [c, d] + [m, 0]])
  labels = np.repeat([0, 1], 4)
  v0, v1 = (a ** 2 + c ** 2) / 2, (b ** 2 + d ** 2) / 2
  distance = (m ** 2 / (8 * v0)
              + 0.5 * (math.log(v0) + math.log(v1) - 0.5 * math.log(a ** 2 * b ** 2)
                       - 0.5 * math.log(c ** 2 * d ** 2)))
  assert tm.gbc(features, labels) == pytest.approx(-2 * math.exp(-distance), rel=1e-10)
  s1, s2 = (a ** 2 + b ** 2) / 2, (c ** 2 + d ** 2) / 2
  v = (s1 + s2) / 2
  spherical = m ** 2 / (8 * v) + (math.log(v) - 0.5 * math.log(s1) - 0.5 * math.log(s2))
  assert tm.gbc(features, labels, spherical=True) == pytest.approx(-2 * math.exp(-spherical),
                                                                   rel=1e-10)


@pytest.mark.parametrize('n,d', [(90, 10), (100, 80)])
def test_gbc_equals_formula_on_independent_pca(n, d):
  rng = np.random.default_rng(n + d)
  labels = np.concatenate([rng.integers(0, 3, size=n - 1), [3]])  # class 3: 1 sample, clamped.
  features = (rng.normal(size=(n, d)) * np.linspace(0.5, 3, d)
              + 2 * rng.normal(size=(4, d))[labels])
  centred = features - features.mean(axis=0)
  eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / (n - 1))
  z = centred @ eigenvectors[:, np.argsort(eigenvalues)[::-1][:min(64, d, n)]]
  stats = {}
  for label in range(4):
    rows = z[labels == label]
    stats[label] = rows.mean(axis=0), np.maximum(((rows - rows.mean(axis=0)) ** 2).mean(axis=0),
                                                 1e-4)
  assert np.all(stats[3][1] == 1e-4)
  expected = 0.0
  for c1 in range(4):
    for c2 in range(4):
      if c1 != c2:
        (mu1, var1), (mu2, var2) = stats[c1], stats[c2]
        v = (var1 + var2) / 2
        distance = (np.sum((mu1 - mu2) ** 2 / v) / 8
                    + 0.5 * (np.sum(np.log(v)) - 0.5 * np.sum(np.log(var1))
                             - 0.5 * np.sum(np.log(var2))))
        expected -= math.exp(-distance)
  assert tm.gbc(features, labels) == pytest.approx(expected, rel=1e-8)


def test_gbc_separated_classes_score_higher():
  rng = np.random.default_rng(9)
  noise, labels = rng.normal(size=(120, 5)), np.repeat([0, 1, 2], 40)
  directions = rng.normal(size=(3, 5))
  separated = tm.gbc(noise + 6 * directions[labels], labels)
  overlapping = tm.gbc(noise + 0.3 * directions[labels], labels)
  assert -6 <= overlapping < separated <= 0
  assert separated > -0.01 and overlapping < -3


# ------------------------------------------------------------------------------ Invariances


_LABEL_METRICS = {
    'logme': tm.logme,
    'hscore': tm.hscore,
    'regularized_hscore': tm.regularized_hscore,
    'nleep': lambda f, y: tm.nleep(f, y, seed=1),
    'gbc': tm.gbc,
    'gbc_spherical': lambda f, y: tm.gbc(f, y, spherical=True),
}


@pytest.mark.parametrize('name', sorted(_LABEL_METRICS))
def test_invariant_to_sample_order_and_class_names(name):
  metric = _LABEL_METRICS[name]
  rng = np.random.default_rng(10)
  features, labels = _clusters(rng, n=90, d=6, spread=2.0)
  score = metric(features, labels)
  order = rng.permutation(len(labels))
  assert metric(features[order], labels[order]) == pytest.approx(score, rel=1e-9, abs=1e-12)
  renamed = np.array([7, -3, 42])[labels]
  assert metric(features, renamed) == pytest.approx(score, rel=1e-9, abs=1e-12)


def test_leep_and_logme_regression_invariances():
  rng = np.random.default_rng(11)
  theta = rng.dirichlet(np.ones(5), size=40)
  labels = rng.integers(0, 3, size=40)
  order = rng.permutation(40)
  score = tm.leep(theta, labels)
  assert tm.leep(theta[order], labels[order]) == pytest.approx(score, rel=1e-12)
  assert tm.leep(theta, np.array([2, 0, 1])[labels]) == pytest.approx(score, rel=1e-12)
  features, targets = _regression_data(rng, 40, 6)
  assert tm.logme(features[order], targets[order]) == pytest.approx(
      tm.logme(features, targets), rel=1e-10)


# ---------------------------------------------------------------------------------- Validation


def test_bad_inputs_raise_value_error():
  rng = np.random.default_rng(12)
  features, labels = rng.normal(size=(10, 3)), np.arange(10) % 2
  with pytest.raises(ValueError, match='entries for 10 samples'):
    tm.hscore(features, labels[:9])
  with pytest.raises(ValueError, match='NaN'):
    tm.gbc(np.where(features > 1, np.nan, features), labels)
  with pytest.raises(ValueError, match='at least 2 classes'):
    tm.regularized_hscore(features, np.zeros(10, int))
  with pytest.raises(ValueError, match='integers'):
    tm.hscore(features, labels.astype(float))
  with pytest.raises(ValueError, match='2-D'):
    tm.logme(features[:, 0], labels)
  with pytest.raises(ValueError, match='probabilities'):
    tm.leep(np.abs(features), labels)
  with pytest.raises(ValueError, match='regression'):
    tm.logme(features, rng.normal(size=(9, 2)))
  assert tm.class_indices(np.array([4, -1, 4, 9]))[0].tolist() == [1, 0, 1, 2]
