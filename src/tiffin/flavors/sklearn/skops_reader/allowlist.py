"""Which types tiffin's skops reader builds, and through which skops node: static data.

skops decides what a file may build from a list it computes when ``skops.io`` is imported:
every class ``sklearn.utils.all_estimators()`` finds, which imports all of scikit-learn
(about 1.5 s). :mod:`tiffin.flavors.sklearn.skops_reader` checks against these literal lists
instead, so nothing is imported before a file has been audited, and the file never adds to them.

Each type is tied to the skops node (``__loader__``) that may build it, as skops' per-node
defaults do: an estimator class only through ``ObjectNode`` (``cls.__new__`` + state), a
ufunc only through ``FunctionNode`` (a lookup, never a call), ``sklearn.tree._tree.Tree``
only through ``TreeNode``, whose arrays :mod:`tiffin.flavors.sklearn.tree_check` validated.

How the lists were made (scikit-learn 1.9.1, numpy 2.4.6, scipy 1.17.1, skops 0.16), once, with
skops' own helpers: the estimators are ``get_type_name(c)`` for ``all_estimators()``; the rest
is skops' default trusted set (its internal losses and links, numpy dtype types and ufuncs,
scipy.special ufuncs, bit generators, builtins containers) plus the types
:data:`tiffin.flavors.sklearn.skops.SAFE_TYPES` adds, each with the loader that writes it.
``tests/flavors/test_skops_reader.py`` recomputes skops' set and fails when an upgrade moves
or adds a class: regenerate the lists then.

Left out on purpose, as skops leaves them out of its defaults: anything that calls code
with arguments from the file (``builtins.eval``/``exec``/``getattr``/``open``, ``operator.*``,
``functools.partial``, bound methods, ``os``/``posix``/``subprocess``/``importlib``/``pickle``
functions), so PartialNode, MethodNode, OperatorFuncNode and ConstructorFromReduceNode have
no entries at all; ``builtins.map`` (in skops' TypeNode defaults, needed by nothing); scipy
sparse matrices (skops trusts only their base classes, which no file names, and scipy does
not bounds-check their indices); BSpline (see :mod:`tiffin.flavors.sklearn.skops`).

Example:
    >>> "sklearn.linear_model._logistic.LogisticRegression" in LOADER_TYPES["ObjectNode"]
    True
    >>> "builtins.eval" in TRUSTED_CLASSES
    False
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["BIT_GENERATORS", "LOADER_TYPES", "TRUSTED_CLASSES"]


def _names(groups: Mapping[str, str]) -> frozenset[str]:
    """``{"mod": "A B"}`` -> ``{"mod.A", "mod.B"}``: one line per module keeps the list short."""
    return frozenset(
        f"{module}.{name}" for module, names in groups.items() for name in names.split()
    )


# Public scikit-learn estimators: all_estimators(), grouped by defining module.
_ESTIMATORS = _names(
    {
        "sklearn.calibration": "CalibratedClassifierCV",
        "sklearn.cluster._affinity_propagation": "AffinityPropagation",
        "sklearn.cluster._agglomerative": "AgglomerativeClustering FeatureAgglomeration",
        "sklearn.cluster._bicluster": "SpectralBiclustering SpectralCoclustering",
        "sklearn.cluster._birch": "Birch",
        "sklearn.cluster._bisect_k_means": "BisectingKMeans",
        "sklearn.cluster._dbscan": "DBSCAN",
        "sklearn.cluster._hdbscan.hdbscan": "HDBSCAN",
        "sklearn.cluster._kmeans": "KMeans MiniBatchKMeans",
        "sklearn.cluster._mean_shift": "MeanShift",
        "sklearn.cluster._optics": "OPTICS",
        "sklearn.cluster._spectral": "SpectralClustering",
        "sklearn.compose._column_transformer": "ColumnTransformer",
        "sklearn.compose._target": "TransformedTargetRegressor",
        "sklearn.covariance._elliptic_envelope": "EllipticEnvelope",
        "sklearn.covariance._empirical_covariance": "EmpiricalCovariance",
        "sklearn.covariance._graph_lasso": "GraphicalLasso GraphicalLassoCV",
        "sklearn.covariance._robust_covariance": "MinCovDet",
        "sklearn.covariance._shrunk_covariance": "LedoitWolf OAS ShrunkCovariance",
        "sklearn.cross_decomposition._pls": "CCA PLSCanonical PLSRegression PLSSVD",
        "sklearn.decomposition._dict_learning": (
            "DictionaryLearning MiniBatchDictionaryLearning SparseCoder"
        ),
        "sklearn.decomposition._factor_analysis": "FactorAnalysis",
        "sklearn.decomposition._fastica": "FastICA",
        "sklearn.decomposition._incremental_pca": "IncrementalPCA",
        "sklearn.decomposition._kernel_pca": "KernelPCA",
        "sklearn.decomposition._lda": "LatentDirichletAllocation",
        "sklearn.decomposition._nmf": "MiniBatchNMF NMF",
        "sklearn.decomposition._pca": "PCA",
        "sklearn.decomposition._sparse_pca": "MiniBatchSparsePCA SparsePCA",
        "sklearn.decomposition._truncated_svd": "TruncatedSVD",
        "sklearn.discriminant_analysis": "LinearDiscriminantAnalysis QuadraticDiscriminantAnalysis",
        "sklearn.dummy": "DummyClassifier DummyRegressor",
        "sklearn.ensemble._bagging": "BaggingClassifier BaggingRegressor",
        "sklearn.ensemble._forest": (
            "ExtraTreesClassifier ExtraTreesRegressor RandomForestClassifier RandomForestRegressor "
            "RandomTreesEmbedding"
        ),
        "sklearn.ensemble._gb": "GradientBoostingClassifier GradientBoostingRegressor",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting": (
            "HistGradientBoostingClassifier HistGradientBoostingRegressor"
        ),
        "sklearn.ensemble._iforest": "IsolationForest",
        "sklearn.ensemble._stacking": "StackingClassifier StackingRegressor",
        "sklearn.ensemble._voting": "VotingClassifier VotingRegressor",
        "sklearn.ensemble._weight_boosting": "AdaBoostClassifier AdaBoostRegressor",
        "sklearn.feature_extraction._dict_vectorizer": "DictVectorizer",
        "sklearn.feature_extraction._hash": "FeatureHasher",
        "sklearn.feature_extraction.image": "PatchExtractor",
        "sklearn.feature_extraction.text": (
            "CountVectorizer HashingVectorizer TfidfTransformer TfidfVectorizer"
        ),
        "sklearn.feature_selection._from_model": "SelectFromModel",
        "sklearn.feature_selection._rfe": "RFE RFECV",
        "sklearn.feature_selection._sequential": "SequentialFeatureSelector",
        "sklearn.feature_selection._univariate_selection": (
            "GenericUnivariateSelect SelectFdr SelectFpr SelectFwe SelectKBest SelectPercentile"
        ),
        "sklearn.feature_selection._variance_threshold": "VarianceThreshold",
        "sklearn.frozen._frozen": "FrozenEstimator",
        "sklearn.gaussian_process._gpc": "GaussianProcessClassifier",
        "sklearn.gaussian_process._gpr": "GaussianProcessRegressor",
        "sklearn.impute._base": "MissingIndicator SimpleImputer",
        "sklearn.impute._knn": "KNNImputer",
        "sklearn.isotonic": "IsotonicRegression",
        "sklearn.kernel_approximation": (
            "AdditiveChi2Sampler Nystroem PolynomialCountSketch RBFSampler SkewedChi2Sampler"
        ),
        "sklearn.kernel_ridge": "KernelRidge",
        "sklearn.linear_model._base": "LinearRegression",
        "sklearn.linear_model._bayes": "ARDRegression BayesianRidge",
        "sklearn.linear_model._coordinate_descent": (
            "ElasticNet ElasticNetCV Lasso LassoCV MultiTaskElasticNet MultiTaskElasticNetCV "
            "MultiTaskLasso MultiTaskLassoCV"
        ),
        "sklearn.linear_model._glm.glm": "GammaRegressor PoissonRegressor TweedieRegressor",
        "sklearn.linear_model._huber": "HuberRegressor",
        "sklearn.linear_model._least_angle": "Lars LarsCV LassoLars LassoLarsCV LassoLarsIC",
        "sklearn.linear_model._logistic": "LogisticRegression LogisticRegressionCV",
        "sklearn.linear_model._omp": "OrthogonalMatchingPursuit OrthogonalMatchingPursuitCV",
        "sklearn.linear_model._passive_aggressive": (
            "PassiveAggressiveClassifier PassiveAggressiveRegressor"
        ),
        "sklearn.linear_model._perceptron": "Perceptron",
        "sklearn.linear_model._quantile": "QuantileRegressor",
        "sklearn.linear_model._ransac": "RANSACRegressor",
        "sklearn.linear_model._ridge": "Ridge RidgeCV RidgeClassifier RidgeClassifierCV",
        "sklearn.linear_model._stochastic_gradient": "SGDClassifier SGDOneClassSVM SGDRegressor",
        "sklearn.linear_model._theil_sen": "TheilSenRegressor",
        "sklearn.manifold._classical_mds": "ClassicalMDS",
        "sklearn.manifold._isomap": "Isomap",
        "sklearn.manifold._locally_linear": "LocallyLinearEmbedding",
        "sklearn.manifold._mds": "MDS",
        "sklearn.manifold._spectral_embedding": "SpectralEmbedding",
        "sklearn.manifold._t_sne": "TSNE",
        "sklearn.mixture._bayesian_mixture": "BayesianGaussianMixture",
        "sklearn.mixture._gaussian_mixture": "GaussianMixture",
        "sklearn.model_selection._classification_threshold": (
            "FixedThresholdClassifier TunedThresholdClassifierCV"
        ),
        "sklearn.model_selection._search": "GridSearchCV RandomizedSearchCV",
        "sklearn.multiclass": "OneVsOneClassifier OneVsRestClassifier OutputCodeClassifier",
        "sklearn.multioutput": (
            "ClassifierChain MultiOutputClassifier MultiOutputRegressor RegressorChain"
        ),
        "sklearn.naive_bayes": "BernoulliNB CategoricalNB ComplementNB GaussianNB MultinomialNB",
        "sklearn.neighbors._classification": "KNeighborsClassifier RadiusNeighborsClassifier",
        "sklearn.neighbors._graph": "KNeighborsTransformer RadiusNeighborsTransformer",
        "sklearn.neighbors._kde": "KernelDensity",
        "sklearn.neighbors._lof": "LocalOutlierFactor",
        "sklearn.neighbors._nca": "NeighborhoodComponentsAnalysis",
        "sklearn.neighbors._nearest_centroid": "NearestCentroid",
        "sklearn.neighbors._regression": "KNeighborsRegressor RadiusNeighborsRegressor",
        "sklearn.neighbors._unsupervised": "NearestNeighbors",
        "sklearn.neural_network._multilayer_perceptron": "MLPClassifier MLPRegressor",
        "sklearn.neural_network._rbm": "BernoulliRBM",
        "sklearn.pipeline": "FeatureUnion Pipeline",
        "sklearn.preprocessing._data": (
            "Binarizer KernelCenterer MaxAbsScaler MinMaxScaler Normalizer PowerTransformer "
            "QuantileTransformer RobustScaler StandardScaler"
        ),
        "sklearn.preprocessing._discretization": "KBinsDiscretizer",
        "sklearn.preprocessing._encoders": "OneHotEncoder OrdinalEncoder",
        "sklearn.preprocessing._function_transformer": "FunctionTransformer",
        "sklearn.preprocessing._label": "LabelBinarizer LabelEncoder MultiLabelBinarizer",
        "sklearn.preprocessing._polynomial": "PolynomialFeatures SplineTransformer",
        "sklearn.preprocessing._target_encoder": "TargetEncoder",
        "sklearn.random_projection": "GaussianRandomProjection SparseRandomProjection",
        "sklearn.semi_supervised._label_propagation": "LabelPropagation LabelSpreading",
        "sklearn.semi_supervised._self_training": "SelfTrainingClassifier",
        "sklearn.svm._classes": "LinearSVC LinearSVR NuSVC NuSVR OneClassSVM SVC SVR",
        "sklearn.tree._classes": (
            "DecisionTreeClassifier DecisionTreeRegressor ExtraTreeClassifier ExtraTreeRegressor"
        ),
    }
)
_UFUNCS = _names(
    {
        "numpy": (
            "absolute add arccos arccosh arcsin arcsinh arctan arctan2 arctanh bitwise_and "
            "bitwise_count bitwise_or bitwise_xor cbrt ceil conjugate copysign cos cosh deg2rad "
            "degrees divide divmod equal exp exp2 expm1 fabs float_power floor floor_divide fmax "
            "fmin fmod frexp gcd greater greater_equal heaviside hypot invert isfinite isinf isnan "
            "isnat lcm ldexp left_shift less less_equal log log10 log1p log2 logaddexp logaddexp2 "
            "logical_and logical_not logical_or logical_xor matmul matvec maximum minimum modf "
            "multiply negative nextafter not_equal positive power rad2deg radians reciprocal "
            "remainder right_shift rint sign signbit sin sinh spacing sqrt square subtract tan "
            "tanh trunc vecdot vecmat"
        ),
        "scipy.special._special_ufuncs": (
            "airy airye bei beip ber berp besselpoly beta betaln binom cbrt cosdg cosm1 cotdg "
            "dawsn ellipe ellipeinc ellipj ellipk ellipkinc ellipkm1 erf erfc erfcx erfi exp1 "
            "exp10 exp2 expi expit expm1 exprel fresnel gamma gammainc gammaincc gammainccinv "
            "gammaincinv gammaln gammasgn hankel1 hankel1e hankel2 hankel2e hyp2f1 i0 i0e i1 i1e "
            "it2i0k0 it2j0y0 it2struve0 itairy iti0k0 itj0y0 itmodstruve0 itstruve0 iv ive j0 j1 "
            "jv jve k0 k0e k1 k1e kei keip kelvin ker kerp kv kve log1p log_expit log_ndtr "
            "log_wright_bessel loggamma logit mathieu_a mathieu_b mathieu_cem mathieu_modcem1 "
            "mathieu_modcem2 mathieu_modsem1 mathieu_modsem2 mathieu_sem modfresnelm modfresnelp "
            "modstruve ndtr obl_ang1 obl_ang1_cv obl_cv obl_rad1 obl_rad1_cv obl_rad2 obl_rad2_cv "
            "pbdv pbvv pbwa pro_ang1 pro_ang1_cv pro_cv pro_rad1 pro_rad1_cv pro_rad2 pro_rad2_cv "
            "psi radian rgamma sindg struve tandg voigt_profile wofz wright_bessel xlog1py xlogy "
            "y0 y1 yv yve zetac"
        ),
        "scipy.special._ufuncs": (
            "agm bdtr bdtrc bdtri bdtrik bdtrin betainc betaincc betainccinv betaincinv boxcox "
            "boxcox1p btdtria btdtrib chdtr chdtrc chdtri chdtriv chndtr chndtridf chndtrinc "
            "chndtrix elliprc elliprd elliprf elliprg elliprj entr erfcinv erfinv eval_chebyc "
            "eval_chebys eval_chebyt eval_chebyu eval_gegenbauer eval_genlaguerre eval_hermite "
            "eval_hermitenorm eval_jacobi eval_laguerre eval_legendre eval_sh_chebyt "
            "eval_sh_chebyu eval_sh_jacobi eval_sh_legendre expn fdtr fdtrc fdtri fdtridfd gdtr "
            "gdtrc gdtria gdtrib gdtrix huber hyp0f1 hyp1f1 hyperu inv_boxcox inv_boxcox1p kl_div "
            "kn kolmogi kolmogorov lpmv nbdtr nbdtrc nbdtri nbdtrik nbdtrin ncfdtr ncfdtri "
            "ncfdtridfd ncfdtridfn ncfdtrinc nctdtr nctdtridf nctdtrinc nctdtrit ndtri ndtri_exp "
            "nrdtrimn nrdtrisd owens_t pdtr pdtrc pdtri pdtrik poch powm1 pseudo_huber rel_entr "
            "round shichi sici smirnov smirnovi spence stdtr stdtridf stdtrit tklmbda wrightomega "
            "yn"
        ),
    }
)

# scikit-learn internals that fitted estimators hold, built through ObjectNode: skops'
# defaults (GLM/boosting losses and links, the HistGradientBoosting bin mapper) and tiffin's
# SAFE_TYPES (skops.py explains each).
_SKLEARN_INTERNALS = _names(
    {
        "sklearn._loss.link": (
            "HalfLogitLink IdentityLink Interval LogLink LogitLink MultinomialLogit"
        ),
        "sklearn._loss.loss": (
            "AbsoluteError ExponentialLoss HalfBinomialLoss HalfGammaLoss HalfMultinomialLoss "
            "HalfPoissonLoss HalfSquaredError HalfTweedieLoss HalfTweedieLossIdentity HuberLoss "
            "PinballLoss"
        ),
        "sklearn.compose._column_transformer": "make_column_selector",
        "sklearn.ensemble._hist_gradient_boosting.binning": "_BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.predictor": "TreePredictor",
        "sklearn.impute._iterative": "IterativeImputer",
        "sklearn.metrics._dist_metrics": (
            "BrayCurtisDistance64 CanberraDistance64 ChebyshevDistance64 EuclideanDistance64 "
            "HammingDistance64 HaversineDistance64 MahalanobisDistance64 ManhattanDistance64 "
            "MinkowskiDistance64 SEuclideanDistance64"
        ),
        "sklearn.neighbors._ball_tree": "BallTree",
        "sklearn.neighbors._kd_tree": "KDTree",
        "sklearn.neural_network._stochastic_optimizers": "AdamOptimizer SGDOptimizer",
        "sklearn.calibration": "_CalibratedClassifier _SigmoidCalibration _TemperatureScaling",
        "sklearn.cluster._bisect_k_means": "_BisectingTree",
        "sklearn.multiclass": "_ConstantPredictor",
        "sklearn.gaussian_process._gpc": "_BinaryGaussianProcessClassifierLaplace",
        "sklearn.gaussian_process.kernels": (
            "CompoundKernel ConstantKernel DotProduct ExpSineSquared Exponentiation Matern "
            "PairwiseKernel Product RBF RationalQuadratic Sum WhiteKernel"
        ),
    }
)

# Plain functions estimators keep as parameters, looked up by FunctionNode (never called on
# load): tiffin's SAFE_TYPES (skops.py explains each).
_FUNCTIONS = _names(
    {
        "numpy": "mean",
        "sklearn.cluster._kmeans": "_kmeans_single_elkan _kmeans_single_lloyd",
        "sklearn.feature_selection._mutual_info": "mutual_info_classif mutual_info_regression",
        "sklearn.feature_selection._univariate_selection": (
            "chi2 f_classif f_oneway f_regression r_regression"
        ),
    }
)

# Cython losses, rebuilt by LossNode as ``cls(*args)`` + ``__setstate__``: skops' ALLOWED_LOSSES.
_LOSSES = _names(
    {
        "sklearn._loss._loss": (
            "CyAbsoluteError CyExponentialLoss CyHalfBinomialLoss CyHalfGammaLoss "
            "CyHalfMultinomialLoss CyHalfPoissonLoss CyHalfSquaredError CyHalfTweedieLoss "
            "CyHalfTweedieLossIdentity CyHuberLoss CyPinballLoss"
        ),
        "sklearn.linear_model._sgd_fast": (
            "EpsilonInsensitive Hinge ModifiedHuber SquaredEpsilonInsensitive SquaredHinge"
        ),
    }
)

# numpy scalar types: an NdArrayNode may name one (a 0-d array turned into ``numpy.float64``)
# and a TypeNode may be one (``dtype=np.float64`` parameters, dict key types).
_NUMPY_SCALARS = _names(
    {
        "numpy": (
            "bool bytes_ clongdouble complex128 complex64 datetime64 float16 float32 float64 "
            "int16 int32 int64 int8 longdouble longlong object_ str_ timedelta64 uint16 uint32 "
            "uint64 uint8 ulonglong void"
        ),
    }
)

# The classes RandomGeneratorNode may call with a SeedSequence (named inside the state).
BIT_GENERATORS: frozenset[str] = _names({"numpy.random": "MT19937 PCG64 PCG64DXSM Philox SFC64"})

LOADER_TYPES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "BytearrayNode": frozenset({"builtins.bytearray"}),
        "BytesNode": frozenset({"builtins.bytes"}),
        "DTypeNode": frozenset({"numpy.dtype"}),
        "DefaultDictNode": frozenset({"collections.defaultdict"}),
        "DictNode": frozenset(
            {"builtins.dict", "collections.OrderedDict", "sklearn.utils._bunch.Bunch"}
        ),
        "FunctionNode": _UFUNCS | _FUNCTIONS,
        "ListNode": frozenset({"builtins.list"}),
        "LossNode": _LOSSES,
        "MaskedArrayNode": frozenset({"numpy.ma.MaskedArray"}),
        "NdArrayNode": frozenset({"numpy.ndarray"}) | _NUMPY_SCALARS,
        "ObjectNode": _ESTIMATORS | _SKLEARN_INTERNALS,
        "RandomGeneratorNode": frozenset({"numpy.random._generator.Generator"}),
        "RandomStateNode": frozenset({"numpy.random.mtrand.RandomState"}),
        "SetNode": frozenset({"builtins.set"}),
        "SliceNode": frozenset({"builtins.slice"}),
        "TreeNode": frozenset({"sklearn.tree._tree.Tree"}),
        "TupleNode": frozenset({"builtins.tuple", "sklearn.impute._iterative._ImputerTriplet"}),
        "TypeNode": _names({"builtins": "bool float int list set str tuple"}) | _NUMPY_SCALARS,
    }
)
"""Loader -> the fully-qualified names it may build. JsonNode is absent: it builds only JSON."""

TRUSTED_CLASSES: frozenset[str] = frozenset().union(*LOADER_TYPES.values(), BIT_GENERATORS)
"""Every name a skops file may use, whatever the loader: what tiffin trusts, in one set."""
