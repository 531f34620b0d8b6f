// A SegResNet forward pass as oneDNN primitives, for node (node-api). The network arrives as a plan from JavaScript
// (src/model/dnnl/segresnetPlan.ts builds it from the same state_dict and spec as the ONNX graph): buffers numbered by
// the caller and three kinds of steps, convolution (optionally summed into its destination: the residual add),
// GroupNorm+ReLU (group_norm.cc) and trilinear x2 upsampling summed into its destination (the decoder's skip add).
//
// Activations stay in one channel-blocked layout from the first convolution to the last GroupNorm; the only reorders
// are the window's output (to NCDHW for the blend) and, in bf16 mode, convolution inputs held in float. Primitives and
// buffers are built once per input shape (a sliding window has one) and weights reordered then.
#include <node_api.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <stdexcept>
#include <string>
#include <vector>

#include "blend.h"
#include "group_norm.h"
#include "napi_args.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

enum class Kind { Conv, GroupNormRelu, Upsample };

struct Op {
  Kind kind;
  int src = -1, dst = -1;
  // Conv
  int outChannels = 0, inChannels = 0, kernel = 0, stride = 1;
  bool sum = false;
  std::vector<float> weights, bias;  // bias: empty or one per output channel
  // GroupNormRelu
  int groups = 0;
  float eps = 0;
  std::vector<float> gamma, beta;
};

struct Shape5 {
  memory::dim n = 0, c = 0, d = 0, h = 0, w = 0;
  bool operator==(const Shape5& o) const { return n == o.n && c == o.c && d == o.d && h == o.h && w == o.w; }
  memory::dims dims() const { return {n, c, d, h, w}; }
  std::size_t count() const { return static_cast<std::size_t>(n * c * d * h * w); }
};

std::string str(const Shape5& s) {
  return std::to_string(s.n) + "x" + std::to_string(s.c) + "x" + std::to_string(s.d) + "x" + std::to_string(s.h) + "x" +
         std::to_string(s.w);
}

struct Compiled {
  Shape5 input;
  memory userIn, userOut;
  std::vector<memory> bufs;
  std::vector<std::function<void(dnnl::stream&)>> steps;
  std::vector<std::string> impls;  // the implementation oneDNN chose per primitive, for the benchmark's log
};

struct Network {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  bool bf16 = false;
  Tag layout = Tag::nCdhw16c;
  int buffers = 0, input = 0, output = 0;
  std::vector<Op> ops;
  std::unique_ptr<Compiled> compiled;
  std::mutex busy;
  bool released = false;
};

// Which buffers hold bf16: those written only by GroupNorm (the convolutions' inputs), except the network's output.
std::vector<bool> bf16Buffers(const Network& net) {
  std::vector<bool> onlyGn(net.buffers, true), written(net.buffers, false);
  for (const Op& op : net.ops) {
    written[op.dst] = true;
    if (op.kind != Kind::GroupNormRelu) onlyGn[op.dst] = false;
  }
  std::vector<bool> out(net.buffers, false);
  for (int b = 0; b < net.buffers; b++) out[b] = net.bf16 && written[b] && onlyGn[b] && b != net.output;
  return out;
}

wbct::BlockedShape blockedShape(const Shape5& s, Tag layout) {
  wbct::BlockedShape b{};
  b.n = static_cast<int>(s.n);
  b.channels = static_cast<int>(s.c);
  b.spatial = static_cast<std::size_t>(s.d * s.h * s.w);
  if (layout == Tag::nCdhw16c) {
    b.blockSize = 16;
    b.blocks = static_cast<int>((s.c + 15) / 16);
  } else {
    b.blockSize = static_cast<int>(s.c);
    b.blocks = 1;
  }
  return b;
}

std::unique_ptr<Compiled> compile(Network& net, const Shape5& in) {
  auto c = std::make_unique<Compiled>();
  c->input = in;
  const auto isBf16 = bf16Buffers(net);
  std::vector<Shape5> shapes(net.buffers);
  std::vector<bool> have(net.buffers, false);
  std::vector<memory> casts(net.buffers);
  c->bufs.resize(net.buffers);
  // One input channel: NCDHW and NDHWC are the same bytes, and oneDNN has no fast kernel reading ncdhw into a
  // channels-last destination (ref:any, measured), so the input is declared channels-last.
  c->userIn = memory({in.dims(), Dt::f32, in.c == 1 ? Tag::ndhwc : Tag::ncdhw}, net.engine, DNNL_MEMORY_NONE);
  c->bufs[net.input] = c->userIn;
  shapes[net.input] = in;
  have[net.input] = true;

  auto define = [&](int b, const Shape5& s) -> memory& {
    if (have[b]) {
      if (!(shapes[b] == s)) throw std::runtime_error("buffer " + std::to_string(b) + " is " + str(shapes[b]) + " but a step writes " + str(s) + " (window sides must be divisible by 2^(levels-1))");
    } else {
      shapes[b] = s;
      have[b] = true;
      c->bufs[b] = memory({s.dims(), isBf16[b] ? Dt::bf16 : Dt::f32, net.layout}, net.engine);
    }
    return c->bufs[b];
  };
  auto need = [&](int b) -> memory& {
    if (!have[b]) throw std::runtime_error("buffer " + std::to_string(b) + " is read before it is written");
    return c->bufs[b];
  };

  for (const Op& op : net.ops) {
    if (op.kind == Kind::Conv) {
      memory src = need(op.src);
      const Shape5 ss = shapes[op.src];
      if (ss.c != op.inChannels) throw std::runtime_error("convolution expects " + std::to_string(op.inChannels) + " channels, buffer has " + std::to_string(ss.c));
      // The first convolution (one input channel, 0.1% of the FLOPs) stays float in bf16 mode: its bf16 kernel took
      // 46 ms per 96^3 window against 16 ms in float (oneDNN 2.6 on AMX), and the CT's intensities keep 24 bits.
      const bool bf16Conv = net.bf16 && op.src != net.input;
      if (bf16Conv && src.get_desc().data_type() != Dt::bf16) {
        // A float activation (the residual stream) read by a bf16 convolution: cast it once per use.
        if (!casts[op.src]) casts[op.src] = memory({ss.dims(), Dt::bf16, net.layout}, net.engine);
        memory from = src, to = casts[op.src];
        dnnl::reorder r(from, to);
        c->steps.push_back([r, from, to](dnnl::stream& s) mutable { r.execute(s, from, to); });
        src = to;
      }
      const memory::dim pad = op.kernel / 2;
      auto outDim = [&](memory::dim x) { return (x + 2 * pad - op.kernel) / op.stride + 1; };
      const Shape5 ds{ss.n, op.outChannels, outDim(ss.d), outDim(ss.h), outDim(ss.w)};
      memory dst = define(op.dst, ds);
      const memory::dims strides{op.stride, op.stride, op.stride};
      const memory::dims padL{pad, pad, pad};
      auto padR = [&](memory::dim x, memory::dim y) { return (y - 1) * op.stride + op.kernel - x - pad; };
      const memory::dims padRight{padR(ss.d, ds.d), padR(ss.h, ds.h), padR(ss.w, ds.w)};
      const memory::dims wDims{op.outChannels, op.inChannels, op.kernel, op.kernel, op.kernel};
      memory::desc wAny(wDims, bf16Conv ? Dt::bf16 : Dt::f32, Tag::any);
      const bool hasBias = !op.bias.empty();
      memory::desc biasMd({op.outChannels}, Dt::f32, Tag::x);
      dnnl::convolution_forward::desc cd =
          hasBias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src.get_desc(), wAny,
                                                    biasMd, dst.get_desc(), strides, padL, padRight)
                  : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src.get_desc(), wAny,
                                                    dst.get_desc(), strides, padL, padRight);
      dnnl::primitive_attr attr;
      if (op.sum) {
        dnnl::post_ops po;
        po.append_sum(1.0f);
        attr.set_post_ops(po);
      }
      dnnl::convolution_forward::primitive_desc pd(cd, attr, net.engine);
      c->impls.push_back(std::string("conv ") + std::to_string(op.inChannels) + "->" + std::to_string(op.outChannels) + " k" + std::to_string(op.kernel) + " s" + std::to_string(op.stride) + ": " + pd.impl_info_str());
      memory userW({wDims, Dt::f32, Tag::oidhw}, net.engine, const_cast<float*>(op.weights.data()));
      memory w(pd.weights_desc(), net.engine);
      {
        dnnl::stream s(net.engine);
        dnnl::reorder(userW, w).execute(s, userW, w);
        s.wait();
      }
      dnnl::convolution_forward conv(pd);
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}};
      if (hasBias) args.insert({DNNL_ARG_BIAS, memory(biasMd, net.engine, const_cast<float*>(op.bias.data()))});
      c->steps.push_back([conv, args](dnnl::stream& s) mutable { conv.execute(s, args); });
    } else if (op.kind == Kind::GroupNormRelu) {
      if (op.src == net.input) throw std::runtime_error("GroupNorm of the network input is not supported");
      memory src = need(op.src);
      const Shape5 ss = shapes[op.src];
      if (src.get_desc().data_type() != Dt::f32) throw std::runtime_error("GroupNorm input must be float");
      if (ss.c % op.groups != 0 || static_cast<std::size_t>(ss.c) != op.gamma.size()) throw std::runtime_error("GroupNorm channels do not match its parameters");
      memory dst = define(op.dst, ss);
      const bool toBf16 = dst.get_desc().data_type() == Dt::bf16;
      const wbct::BlockedShape shape = blockedShape(ss, net.layout);
      const Op* p = &op;
      c->steps.push_back([src, dst, toBf16, shape, p](dnnl::stream& s) {
        s.wait();
        wbct::groupNormRelu(static_cast<const float*>(src.get_data_handle()), dst.get_data_handle(), toBf16, shape, p->groups,
                            p->gamma.data(), p->beta.data(), p->eps);
      });
    } else {
      memory src = need(op.src);
      const Shape5 ss = shapes[op.src];
      const Shape5 ds{ss.n, ss.c, ss.d * 2, ss.h * 2, ss.w * 2};
      if (!op.sum || !have[op.dst]) throw std::runtime_error("upsampling must add into a written buffer (the skip)");
      memory dst = define(op.dst, ds);
      dnnl::resampling_forward::desc rd(dnnl::prop_kind::forward_inference, dnnl::algorithm::resampling_linear,
                                        src.get_desc(), dst.get_desc());
      dnnl::post_ops po;
      po.append_sum(1.0f);
      dnnl::primitive_attr attr;
      attr.set_post_ops(po);
      dnnl::resampling_forward::primitive_desc pd(rd, attr, net.engine);
      c->impls.push_back(std::string("resampling: ") + pd.impl_info_str());
      dnnl::resampling_forward up(pd);
      c->steps.push_back([up, src, dst](dnnl::stream& s) mutable { up.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}}); });
    }
  }
  const Shape5 os = shapes[net.output];
  if (!have[net.output]) throw std::runtime_error("the output buffer is never written");
  c->userOut = memory({os.dims(), Dt::f32, Tag::ncdhw}, net.engine, DNNL_MEMORY_NONE);
  memory from = c->bufs[net.output], to = c->userOut;
  dnnl::reorder r(from, to);
  c->steps.push_back([r, from, to](dnnl::stream& s) mutable { r.execute(s, from, to); });
  return c;
}

// ---- node-api glue ----

#define CHECK(env, call)                                                     \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error((env), nullptr, "wbct_dnnl: node-api call failed: " #call); \
      return nullptr;                                                        \
    }                                                                        \
  } while (0)

napi_value property(napi_env env, napi_value obj, const char* name) {
  napi_value v;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) throw std::runtime_error(std::string("missing ") + name);
  return v;
}
int intOf(napi_env env, napi_value obj, const char* name) {
  int32_t v;
  if (napi_get_value_int32(env, property(env, obj, name), &v) != napi_ok) throw std::runtime_error(std::string(name) + " must be an integer");
  return v;
}
double numberOf(napi_env env, napi_value obj, const char* name) {
  double v;
  if (napi_get_value_double(env, property(env, obj, name), &v) != napi_ok) throw std::runtime_error(std::string(name) + " must be a number");
  return v;
}
bool boolOf(napi_env env, napi_value obj, const char* name) {
  bool v = false;
  napi_value p = property(env, obj, name);
  napi_valuetype t;
  napi_typeof(env, p, &t);
  if (t == napi_undefined) return false;
  if (napi_get_value_bool(env, p, &v) != napi_ok) throw std::runtime_error(std::string(name) + " must be a boolean");
  return v;
}
std::string stringOf(napi_env env, napi_value obj, const char* name) {
  char buf[64];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, property(env, obj, name), buf, sizeof buf, &len) != napi_ok) throw std::runtime_error(std::string(name) + " must be a string");
  return std::string(buf, len);
}
std::vector<float> floatsOf(napi_env env, napi_value obj, const char* name) {
  const wbct::Float32View f = wbct::float32Array(env, property(env, obj, name), name);
  return std::vector<float>(f.data, f.data + f.length);
}

void deleteNetwork(napi_env, void* data, void*) { delete static_cast<Network*>(data); }

// createNetwork({ precision: 'fp32'|'bf16', layout: 'blocked'|'nxc', buffers, input, output, ops: [...] })
napi_value CreateNetwork(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  try {
    if (argc < 1) throw std::runtime_error("createNetwork(plan) needs a plan");
    auto net = std::make_unique<Network>();
    const std::string precision = stringOf(env, argv[0], "precision");
    if (precision != "fp32" && precision != "bf16") throw std::runtime_error("precision must be fp32 or bf16");
    net->bf16 = precision == "bf16";
    const std::string layout = stringOf(env, argv[0], "layout");
    if (layout != "blocked" && layout != "nxc") throw std::runtime_error("layout must be blocked or nxc");
    net->layout = layout == "blocked" ? Tag::nCdhw16c : Tag::ndhwc;
    net->buffers = intOf(env, argv[0], "buffers");
    net->input = intOf(env, argv[0], "input");
    net->output = intOf(env, argv[0], "output");
    auto inRange = [&](int b) { return b >= 0 && b < net->buffers; };
    if (net->buffers < 1 || net->buffers > 4096 || !inRange(net->input) || !inRange(net->output)) throw std::runtime_error("bad buffer numbers");
    napi_value ops = property(env, argv[0], "ops");
    uint32_t count = 0;
    if (napi_get_array_length(env, ops, &count) != napi_ok) throw std::runtime_error("ops must be an array");
    for (uint32_t i = 0; i < count; i++) {
      napi_value o;
      napi_get_element(env, ops, i, &o);
      Op op;
      const std::string kind = stringOf(env, o, "kind");
      op.src = intOf(env, o, "src");
      op.dst = intOf(env, o, "dst");
      if (!inRange(op.src) || !inRange(op.dst) || op.src == op.dst || op.dst == net->input) throw std::runtime_error("op " + std::to_string(i) + ": bad buffers");
      op.sum = boolOf(env, o, "sum");
      if (kind == "conv") {
        op.kind = Kind::Conv;
        op.outChannels = intOf(env, o, "outChannels");
        op.inChannels = intOf(env, o, "inChannels");
        op.kernel = intOf(env, o, "kernel");
        op.stride = intOf(env, o, "stride");
        op.weights = floatsOf(env, o, "weights");
        napi_value b = property(env, o, "bias");
        napi_valuetype bt;
        napi_typeof(env, b, &bt);
        if (bt != napi_undefined) op.bias = floatsOf(env, o, "bias");
        if (!op.bias.empty() && op.bias.size() != static_cast<size_t>(op.outChannels)) throw std::runtime_error("op " + std::to_string(i) + ": bias size");
        if (op.outChannels < 1 || op.inChannels < 1 || (op.kernel != 1 && op.kernel != 3) || (op.stride != 1 && op.stride != 2) ||
            op.weights.size() != static_cast<size_t>(op.outChannels) * op.inChannels * op.kernel * op.kernel * op.kernel)
          throw std::runtime_error("op " + std::to_string(i) + ": bad convolution");
      } else if (kind == "groupNormRelu") {
        op.kind = Kind::GroupNormRelu;
        op.groups = intOf(env, o, "groups");
        op.eps = static_cast<float>(numberOf(env, o, "eps"));
        op.gamma = floatsOf(env, o, "gamma");
        op.beta = floatsOf(env, o, "beta");
        if (op.groups < 1 || op.gamma.size() != op.beta.size() || op.gamma.size() % op.groups != 0 || op.sum) throw std::runtime_error("op " + std::to_string(i) + ": bad GroupNorm");
      } else if (kind == "upsample") {
        op.kind = Kind::Upsample;
      } else {
        throw std::runtime_error("op " + std::to_string(i) + ": unknown kind " + kind);
      }
      net->ops.push_back(std::move(op));
    }
    napi_value result;
    CHECK(env, napi_create_external(env, net.get(), deleteNetwork, nullptr, &result));
    net.release();
    return result;
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
}

struct RunWork {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  napi_ref netRef = nullptr;
  Network* net = nullptr;
  Shape5 shape;
  int threads = 1;
  std::vector<float> input;
  float* output = nullptr;
  std::size_t outputCount = 0;
  std::string error;
};

void executeRun(napi_env, void* data) {
  auto* w = static_cast<RunWork*>(data);
  std::unique_lock<std::mutex> lock(w->net->busy, std::try_to_lock);
  if (!lock.owns_lock()) {
    w->error = "the network is already running a batch";
    return;
  }
  try {
    omp_set_num_threads(w->threads);
    Network& net = *w->net;
    if (net.released) throw std::runtime_error("the network was released");
    if (!net.compiled || !(net.compiled->input == w->shape)) {
      net.compiled.reset();
      net.compiled = compile(net, w->shape);
    }
    Compiled& c = *net.compiled;
    w->outputCount = c.userOut.get_desc().get_size() / sizeof(float);
    w->output = static_cast<float*>(std::malloc(w->outputCount * sizeof(float)));
    if (!w->output) throw std::runtime_error("out of memory for the output");
    c.userIn.set_data_handle(w->input.data());
    c.userOut.set_data_handle(w->output);
    dnnl::stream s(net.engine);
    for (auto& step : c.steps) step(s);
    s.wait();
    c.userIn.set_data_handle(DNNL_MEMORY_NONE);
    c.userOut.set_data_handle(DNNL_MEMORY_NONE);
  } catch (const std::exception& e) {
    w->error = e.what();
    std::free(w->output);
    w->output = nullptr;
  }
}

void freeOutput(napi_env, void* data, void*) { std::free(data); }

void completeRun(napi_env env, napi_status, void* data) {
  std::unique_ptr<RunWork> w(static_cast<RunWork*>(data));
  if (w->error.empty()) {
    napi_value ab, ta;
    if (napi_create_external_arraybuffer(env, w->output, w->outputCount * sizeof(float), freeOutput, nullptr, &ab) == napi_ok &&
        napi_create_typedarray(env, napi_float32_array, w->outputCount, ab, 0, &ta) == napi_ok) {
      napi_resolve_deferred(env, w->deferred, ta);
    } else {
      std::free(w->output);
      napi_value msg, err;
      napi_create_string_utf8(env, "wbct_dnnl: cannot hand the output to JavaScript", NAPI_AUTO_LENGTH, &msg);
      napi_create_error(env, nullptr, msg, &err);
      napi_reject_deferred(env, w->deferred, err);
    }
  } else {
    napi_value msg, err;
    napi_create_string_utf8(env, ("oneDNN: " + w->error).c_str(), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, w->deferred, err);
  }
  napi_delete_reference(env, w->netRef);
  napi_delete_async_work(env, w->work);
}

// run(network, input: Float32Array, [n, c, d, h, w], threads) -> Promise<Float32Array> (NCDHW float)
napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  try {
    if (argc < 4) throw std::runtime_error("run(network, input, dims, threads)");
    void* netPtr = nullptr;
    if (napi_get_value_external(env, argv[0], &netPtr) != napi_ok || !netPtr) throw std::runtime_error("not a network");
    auto w = std::make_unique<RunWork>();
    w->net = static_cast<Network*>(netPtr);
    memory::dim dims[5];
    for (uint32_t i = 0; i < 5; i++) {
      napi_value v;
      int32_t x = 0;
      if (napi_get_element(env, argv[2], i, &v) != napi_ok || napi_get_value_int32(env, v, &x) != napi_ok || x < 1) throw std::runtime_error("dims must be 5 positive integers");
      dims[i] = x;
    }
    w->shape = Shape5{dims[0], dims[1], dims[2], dims[3], dims[4]};
    int32_t threads = 1;
    napi_get_value_int32(env, argv[3], &threads);
    w->threads = threads < 1 ? 1 : threads;
    const wbct::Float32View input = wbct::float32Array(env, argv[1], "input");
    if (input.length != w->shape.count()) throw std::runtime_error("input has " + std::to_string(input.length) + " values, dims say " + std::to_string(w->shape.count()));
    w->input.assign(input.data, input.data + input.length);  // 3.5 MB per 96^3 window; the caller may reuse its array meanwhile
    napi_value promise, name;
    CHECK(env, napi_create_promise(env, &w->deferred, &promise));
    CHECK(env, napi_create_reference(env, argv[0], 1, &w->netRef));
    CHECK(env, napi_create_string_utf8(env, "wbct_dnnl.run", NAPI_AUTO_LENGTH, &name));
    CHECK(env, napi_create_async_work(env, nullptr, name, executeRun, completeRun, w.get(), &w->work));
    CHECK(env, napi_queue_async_work(env, w->work));
    w.release();
    return promise;
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
    return nullptr;
  }
}

// The network handle that is a function's only argument, or nullptr with a JavaScript error thrown.
Network* networkArg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* netPtr = nullptr;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1 || napi_get_value_external(env, argv[0], &netPtr) != napi_ok || !netPtr) {
    napi_throw_error(env, nullptr, "not a network");
    return nullptr;
  }
  return static_cast<Network*>(netPtr);
}

// implementations(network) -> string[]: oneDNN's implementation per primitive of the last compiled shape.
napi_value Implementations(napi_env env, napi_callback_info info) {
  Network* net = networkArg(env, info);
  if (!net) return nullptr;
  napi_value arr;
  CHECK(env, napi_create_array(env, &arr));
  std::unique_lock<std::mutex> lock(net->busy, std::try_to_lock);
  if (lock.owns_lock() && net->compiled) {
    for (uint32_t i = 0; i < net->compiled->impls.size(); i++) {
      napi_value s;
      CHECK(env, napi_create_string_utf8(env, net->compiled->impls[i].c_str(), NAPI_AUTO_LENGTH, &s));
      CHECK(env, napi_set_element(env, arr, i, s));
    }
  }
  return arr;
}

// release(network): frees the compiled primitives and buffers now (waits for a running batch); the network is
// unusable afterwards. Without it they go when the garbage collector finalises the handle.
napi_value Release(napi_env env, napi_callback_info info) {
  Network* net = networkArg(env, info);
  if (!net) return nullptr;
  std::lock_guard<std::mutex> lock(net->busy);
  net->compiled.reset();
  net->ops.clear();
  net->released = true;
  return nullptr;
}

// version() -> { onednn: "2.6.3", isa: "avx512_core_amx" }
napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  std::string ver = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  std::string isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: isa = "sse41"; break;
    case dnnl::cpu_isa::avx: isa = "avx"; break;
    case dnnl::cpu_isa::avx2: isa = "avx2"; break;
    case dnnl::cpu_isa::avx512_mic: isa = "avx512_mic"; break;
    case dnnl::cpu_isa::avx512_core: isa = "avx512_core"; break;
    case dnnl::cpu_isa::avx512_core_vnni: isa = "avx512_core_vnni"; break;
    case dnnl::cpu_isa::avx512_core_bf16: isa = "avx512_core_bf16"; break;
    case dnnl::cpu_isa::avx512_core_amx: isa = "avx512_core_amx"; break;
    default: isa = "other"; break;
  }
  napi_value obj, a, b;
  CHECK(env, napi_create_object(env, &obj));
  CHECK(env, napi_create_string_utf8(env, ver.c_str(), NAPI_AUTO_LENGTH, &a));
  CHECK(env, napi_create_string_utf8(env, isa.c_str(), NAPI_AUTO_LENGTH, &b));
  CHECK(env, napi_set_named_property(env, obj, "onednn", a));
  CHECK(env, napi_set_named_property(env, obj, "isa", b));
  return obj;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"createNetwork", nullptr, CreateNetwork, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"run", nullptr, Run, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"implementations", nullptr, Implementations, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"blendSlabs", nullptr, wbct::BlendSlabs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"release", nullptr, Release, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
