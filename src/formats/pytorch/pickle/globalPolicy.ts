/**
 * Which Python globals a checkpoint pickle may name: an ALLOWLIST, like
 * `torch.load(weights_only=True)`, not a denylist (a denylist misses the next gadget: bdb,
 * cProfile, pydoc.pipepager, `posixpath` + `os.system`, ...).
 *
 * - `safe`: what rebuilding tensors, storages, ordered dicts and TorchScript's own containers
 *   needs (torch's weights-only allowlist plus TorchScript's `torch.jit._pickle` builders).
 * - `data`: inert data classes real training checkpoints carry (argparse.Namespace, numpy arrays,
 *   pathlib paths, torch.nn module classes). `torch.load(weights_only=True)` refuses them too, so
 *   they are a warning, not an error.
 * - `code-execution`: a known command runner / code loader (os.system, eval, runpy, pickle.loads...).
 * - `unsafe`: anything else. `torch.load(weights_only=False)` would import it and may run code
 *   (importing a module runs its top level; calling or constructing it runs whatever it does).
 *
 * Names are compared the way Python's unpickler resolves them: `module` is imported, then the
 * dotted `name` is walked attribute by attribute, so `posixpath` + `os.system` IS `os.system` and
 * `builtins` + `eval.__call__` calls eval. The allowlists match whole qualified names only, so
 * any extra attribute step (`torch.Size.__call__`, `pathlib.Path.write_text`) leaves the allowlist.
 */
export type GlobalClass = 'safe' | 'data' | 'code-execution' | 'unsafe';

const SAFE = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_sparse_csr_tensor',
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_nested_tensor',
  'torch._utils._rebuild_wrapper_subclass',
  'torch._tensor._rebuild_from_type_v2',
  'torch.serialization._get_layout',
  'torch.Size',
  'torch.device',
  'torch.Tensor',
  'torch.nn.parameter.Parameter',
  '_codecs.encode',
  'builtins.set',
  'builtins.frozenset',
  'builtins.bytearray',
  'builtins.bytes',
  'builtins.complex',
  'builtins.slice',
  'builtins.range',
  'builtins.list',
  'builtins.tuple',
  'builtins.dict',
  'builtins.int',
  'builtins.float',
  'builtins.bool',
  'builtins.str',
  // TorchScript's pickler writes typed lists and dict/list type tags through these.
  'torch.jit._pickle.build_intlist',
  'torch.jit._pickle.build_doublelist',
  'torch.jit._pickle.build_boollist',
  'torch.jit._pickle.build_tensorlist',
  'torch.jit._pickle.build_tensor_from_id',
  'torch.jit._pickle.restore_type_tag',
]);

/** `torch.<name>` constants: dtypes, layouts, memory formats, quantization schemes. */
const TORCH_CONSTANTS = new Set([
  'float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'int64', 'long', 'int32', 'int', 'int16', 'short',
  'int8', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'complex32', 'chalf', 'complex64', 'cfloat', 'complex128', 'cdouble',
  'quint8', 'qint8', 'qint32', 'quint4x2', 'quint2x4', 'float8_e4m3fn', 'float8_e5m2', 'float8_e4m3fnuz', 'float8_e5m2fnuz', 'float8_e8m0fnu',
  'strided', 'sparse_coo', 'sparse_csr', 'sparse_csc', 'sparse_bsr', 'sparse_bsc', '_mkldnn',
  'contiguous_format', 'channels_last', 'channels_last_3d', 'preserve_format',
  'per_tensor_affine', 'per_channel_affine', 'per_tensor_symmetric', 'per_channel_symmetric', 'per_channel_affine_float_qparams',
]);

const STORAGE = /^torch\.(?:cuda\.|storage\.)?(?:Float|Double|Half|BFloat16|Long|Int|Short|Char|Byte|Bool|ComplexFloat|ComplexDouble|QInt8|QUInt8|QInt32|QUInt4x2|QUInt2x4|Untyped|Typed|Float8_e4m3fn|Float8_e5m2|Float8_e8m0fnu|UInt16|UInt32|UInt64)Storage$/;

const DATA = new Set([
  'argparse.Namespace',
  'collections.defaultdict',
  'collections.Counter',
  'collections.deque',
  'copyreg._reconstructor',
  'torch._tensor._rebuild_from_type',
  'numpy.core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray._reconstruct',
  'numpy._core.multiarray.scalar',
  'numpy.ndarray',
  'numpy.dtype',
  'pathlib.PurePath',
  'pathlib.PurePosixPath',
  'pathlib.PureWindowsPath',
  'pathlib.Path',
  'pathlib.PosixPath',
  'pathlib.WindowsPath',
  'datetime.datetime',
  'datetime.date',
  'datetime.time',
  'datetime.timedelta',
  'datetime.timezone',
  'decimal.Decimal',
  'fractions.Fraction',
]);
/** numpy scalar dtypes (`numpy.dtype` args come as strings; these appear as classes). */
const NUMPY_SCALAR = /^numpy\.(?:float(?:16|32|64)|int(?:8|16|32|64)|uint(?:8|16|32|64)|bool_|complex(?:64|128))$/;
/** A torch.nn module class pickled with a whole model (`torch.nn.modules.linear.Linear`): no further attribute step. */
const NN_MODULE_CLASS = /^torch\.nn\.modules\.[a-z_][a-z0-9_]*\.[A-Z][A-Za-z0-9_]*$/;

/**
 * Modules whose globals run commands, load code or other pickles, or reach the interpreter's
 * internals. Also their Python 2 names and the private aliases other modules keep of them
 * (`tempfile._os`, `collections._sys`), since the unpickler resolves through those.
 */
const RUNNER_MODULES = new Set([
  'os', '_os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', '_subprocess', '_posixsubprocess', 'commands', 'popen2', 'sys', '_sys', 'builtins',
  '__builtin__', '__builtins__', 'importlib', 'imp', 'runpy', 'pty', 'ctypes', '_ctypes', 'pickle', '_pickle', 'cPickle', 'pickletools', 'marshal', 'dill',
  'cloudpickle', 'joblib', 'shelve', 'code', 'codeop', 'pdb', 'bdb', 'cProfile', 'profile', 'trace', 'timeit', 'doctest', 'pydoc', 'pkgutil',
  'zipimport', 'multiprocessing', 'asyncio', 'threading', '_thread', 'thread', 'signal', 'webbrowser', 'pip', 'ensurepip', 'venv', 'idlelib',
  'lib2to3', 'distutils', 'setuptools', 'site', 'compileall', 'py_compile', 'types', 'operator', '_operator', 'functools', 'inspect', 'gc',
  'atexit', '_aix_support', '_osx_support', 'platform', 'uuid', 'pipes', 'pexpect', 'socket', 'socketserver', 'SocketServer', 'http', 'httplib',
  'urllib', 'urllib2', 'requests', 'aiohttp', 'ftplib', 'telnetlib', 'smtplib', 'imaplib', 'poplib', 'nntplib', 'xmlrpc', 'xmlrpclib',
  'sqlite3', 'tarfile', 'zipfile', 'shutil', 'tempfile', 'glob', 'fileinput', 'linecache', 'mmap', 'io', '_io', 'logging', 'test', '_pyrepl',
  '_interpreters', '_xxsubinterpreters', 'keras', 'fickling', 'modelscan', 'picklescan', 'modelaudit', 'saferpickle', 'model_unpickler',
]);
/** Attributes that run or load code wherever they live (numpy.testing...runstring, torch.load, *.loads). */
const RUNNER_NAMES = new Set([
  'system', 'popen', 'spawn', 'spawnv', 'spawnl', 'spawnve', 'execv', 'execve', 'execl', 'execvp', 'eval', 'exec', 'execfile', 'compile', '__import__',
  'getattr', 'setattr', 'delattr', 'globals', 'locals', 'vars', 'breakpoint', 'apply', 'open', 'load', 'loads', 'load_config', 'runstring', 'run',
  'runctx', 'runcall', 'runcode', 'runsource', 'run_path', 'run_module', '_run_code', 'import_module', 'resolve_name', 'locate', 'pipepager',
  'getoutput', 'check_output', 'call', 'Popen', 'startfile', 'fork_exec', 'execWrapper', 'compile_file', 'write_file', 'write_text', 'write_bytes',
  'fromfile', 'dangerous', '_load_from_bytes', 'hub', 'run_cprofile', 'run_autograd_prof', 'run_and_read_all', 'assert_python_ok', 'evaluate_guards_expression',
  'getlincoef', 'basichandlers', '__call__', '__reduce__', '__reduce_ex__', '__setstate__', '__getattribute__', '__globals__', '__code__', '__builtins__',
]);

/** Builtins (and io/functools/types... attributes) that run code, reach globals or open files. */
const BUILTIN_RUNNERS = new Set(['input', 'memoryview', 'type', 'object', 'reload', 'file', 'FileIO', 'open_code', 'partial', 'reduce', 'FunctionType', 'CodeType', 'get_objects', 'getmodule', '_syscmd_file', '_get_command_stdout', 'FileHandler', 'getlines', 'glob', 'iglob', 'exit', 'quit', 'help']);

export function classifyGlobal(module: string, name: string): GlobalClass {
  const q = `${module}.${name}`;
  if (SAFE.has(q) || STORAGE.test(q)) return 'safe';
  if (module === 'torch' && TORCH_CONSTANTS.has(name)) return 'safe';
  // TorchScript classes: torch.jit.load binds them to the archive's compiled TorchScript classes, never to a Python module.
  if ((module === '__torch__' || module.startsWith('__torch__.')) && isPlainPath(module) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return 'safe';
  if (isRunner(module, name)) return 'code-execution';
  if (DATA.has(q) || NUMPY_SCALAR.test(q) || NN_MODULE_CLASS.test(q)) return 'data';
  return 'unsafe';
}

/** Modules most of whose attributes are harmless: only the runner names in them count. */
const NAME_SCOPED = new Set(['builtins', '__builtin__', '__builtins__', 'io', '_io', 'functools', 'types', 'inspect', 'gc', 'platform', 'uuid', 'logging', 'linecache', 'glob']);

function isRunner(module: string, name: string): boolean {
  const path = [...module.split('.'), ...name.split('.')];
  if (NAME_SCOPED.has(path[0]!) && path.length > 1 && !path.slice(1, -1).some((p) => RUNNER_MODULES.has(p) && !NAME_SCOPED.has(p))) {
    return path.slice(1).some((p) => RUNNER_NAMES.has(p) || BUILTIN_RUNNERS.has(p));
  }
  // The root module, or any module reached on the way (posixpath.os, tempfile._os, torch.serialization.os).
  for (let i = 0; i < path.length - 1; i++) if (RUNNER_MODULES.has(path[i]!)) return true;
  if (path.length === 1) return RUNNER_MODULES.has(path[0]!);
  for (let i = 1; i < path.length; i++) if (RUNNER_NAMES.has(path[i]!)) return true;
  // torch helpers that shell out or compile (torch.utils.collect_env, torch.utils.bottleneck, torch._dynamo, torch._inductor, torch.fx).
  return /^torch\.(?:hub|utils\.(?:collect_env|bottleneck|cpp_extension|_config_module)|_dynamo|_inductor|fx|compile|package|distributed)\b/.test(`${module}.${name}`) || /^numpy\.(?:testing|f2py|distutils)\b/.test(module);
}

function isPlainPath(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(s);
}
