// Batched UDP for flipdns (Linux): a socket read with recvmmsg and answered
// with sendmmsg, its readiness watched by libuv (uv_poll on the fd), so the
// event loop runs as usual around it. Each batch goes to one synchronous
// JavaScript call; the datagrams, their sources and the answers live in
// buffers that JavaScript allocated once (src/server/udp-native.ts), so no
// object is made per datagram here.

#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace {

constexpr int kBatch = 64;
// Longest datagram taken, and longest answer: ednsPayload is at most 4096 and
// an error answer is never longer than its query.
constexpr size_t kSlot = 4096;
// Per datagram: [0] family (4, 6), [1] length of the IPv6 text, [4..20) the
// address (IPv4 in [4..8)), [20..24) the IPv6 scope, [24..128) the IPv6 text.
constexpr size_t kSourceStride = 128;
constexpr size_t kScopeAt = 20;
constexpr size_t kTextAt = 24;
// Per datagram in `meta`: offset in rx, length in rx, length of its answer in tx (0: none).
constexpr int kMetaStride = 3;
// Batches read per wakeup at most: then libuv runs timers and the other sockets
// (TCP, HTTP) before this one again; poll is level-triggered, so nothing is lost.
constexpr int kBatchesPerWakeup = 4;
// The Float64Array slots counted here, in QueryStats.udp's order (src/metrics/query-stats.ts).
enum Counter { kAgain, kNoBufs, kSendError, kPartial, kOversized, kCounters };
// Room for one IPv6 packet-info control message (the larger of the two).
constexpr size_t kControl = CMSG_SPACE(sizeof(in6_pktinfo));

std::string SystemError(const char* call, int err, const std::string& where) {
  return std::string(call) + " " + uv_err_name(-err) + " " + where + ": " + strerror(err);
}

class UdpSocket : public Napi::ObjectWrap<UdpSocket> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "UdpSocket", {InstanceMethod<&UdpSocket::Close>("close")});
  }

  // new UdpSocket({ host, port, reusePort, receiveBuffer, sendBuffer, rx, tx, meta, sources, counters, onBatch })
  explicit UdpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSocket>(info), context_(info.Env(), "flipdns:udp") {
    Napi::Env env = info.Env();
    Napi::Object o = info[0].As<Napi::Object>();
    if (!Take(o, "rx", rx_, kBatch * kSlot) || !Take(o, "tx", tx_, kBatch * kSlot) || !Take(o, "sources", sources_, kBatch * kSourceStride) ||
        !Take(o, "meta", meta_, kBatch * kMetaStride) || !Take(o, "counters", counters_, kCounters) || !o.Get("onBatch").IsFunction()) {
      Napi::TypeError::New(env, "UdpSocket: buffers of the wrong size, or no onBatch").ThrowAsJavaScriptException();
      return;
    }
    buffers_ = Napi::Persistent(o);
    on_batch_ = Napi::Persistent(o.Get("onBatch").As<Napi::Function>());
    std::string host = o.Get("host").ToString();
    int port = o.Get("port").ToNumber().Int32Value();
    std::string where = host + ":" + std::to_string(port);

    sockaddr_storage address{};
    socklen_t length;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      length = sizeof(*v4);
      wildcard_ = v4->sin_addr.s_addr == htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      length = sizeof(*v6);
      wildcard_ = IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr);
    } else {
      Napi::TypeError::New(env, "UdpSocket: not an IP address: " + host).ThrowAsJavaScriptException();
      return;
    }
    fd_ = socket(address.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) { Fail(env, "socket", where); return; }
    int on = 1;
    // With --workers each worker binds its own socket; the kernel spreads clients across them.
    if (o.Get("reusePort").ToBoolean() && setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0) { Fail(env, "setsockopt", where); return; }
    // Best effort, as Node's setRecvBufferSize: the kernel caps it at net.core.rmem_max.
    int receive = o.Get("receiveBuffer").ToNumber().Int32Value();
    if (receive > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive, sizeof receive);
    int send = o.Get("sendBuffer").ToNumber().Int32Value();
    if (send > 0) setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &send, sizeof send);
    // Bound to a wildcard address, the socket learns which address each query was
    // sent to, and answers from it: the client only accepts an answer from there.
    if (wildcard_) {
      int level = address.ss_family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
      int option = address.ss_family == AF_INET ? IP_PKTINFO : IPV6_RECVPKTINFO;
      if (setsockopt(fd_, level, option, &on, sizeof on) < 0) { Fail(env, "setsockopt", where); return; }
    }
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) < 0) { Fail(env, "bind", where); return; }

    for (int i = 0; i < kBatch; i++) {
      rx_iov_[i] = {rx_ + i * kSlot, kSlot};
      msghdr& h = rx_msgs_[i].msg_hdr;
      h.msg_name = &names_[i];
      h.msg_iov = &rx_iov_[i];
      h.msg_iovlen = 1;
      h.msg_control = wildcard_ ? rx_control_[i] : nullptr;
    }
    poll_ = new uv_poll_t;
    uv_loop_t* loop;
    napi_get_uv_event_loop(env, &loop);
    uv_poll_init(loop, poll_, fd_);
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, OnPoll);
    // Kept alive while open, whatever JavaScript still references it.
    Ref();
  }

  ~UdpSocket() override { Stop(); }

 private:
  template <typename T>
  static bool Take(Napi::Object o, const char* key, T*& data, size_t count) {
    Napi::Value value = o.Get(key);
    if (!value.IsTypedArray()) return false;
    Napi::TypedArray array = value.As<Napi::TypedArray>();
    if (array.ByteLength() < count * sizeof(T)) return false;
    data = reinterpret_cast<T*>(static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset());
    return true;
  }

  void Fail(Napi::Env env, const char* call, const std::string& where) {
    int err = errno;
    Stop();
    Napi::Error error = Napi::Error::New(env, SystemError(call, err, where));
    error.Set("code", uv_err_name(-err));
    error.Set("syscall", call);
    error.ThrowAsJavaScriptException();
  }

  void Close(const Napi::CallbackInfo&) {
    if (fd_ < 0) return;
    Stop();
    Unref();
  }

  void Stop() {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<UdpSocket*>(handle->data);
    if (status < 0) return;
    if ((events & UV_WRITABLE) != 0 && !self->Flush()) return;
    if (self->pending_ == 0) self->Receive();
  }

  void Receive() {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (int round = 0; round < kBatchesPerWakeup; round++) {
      for (int i = 0; i < kBatch; i++) {
        rx_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        rx_msgs_[i].msg_hdr.msg_controllen = wildcard_ ? kControl : 0;
      }
      // Any error, EAGAIN above all, means nothing more to read now.
      int received = recvmmsg(fd_, rx_msgs_, kBatch, MSG_DONTWAIT, nullptr);
      if (received <= 0) return;
      int count = 0;
      for (int i = 0; i < received; i++) {
        // Longer than a slot: cut by the kernel, so no use answering.
        if ((rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
          counters_[kOversized]++;
          continue;
        }
        meta_[count * kMetaStride] = static_cast<uint32_t>(i * kSlot);
        meta_[count * kMetaStride + 1] = rx_msgs_[i].msg_len;
        meta_[count * kMetaStride + 2] = 0;
        WriteSource(count, names_[i]);
        slot_[count++] = i;
      }
      if (count > 0) {
        on_batch_.MakeCallback(Value(), {Napi::Number::New(env, count)}, context_);
        if (env.IsExceptionPending()) {
          // As any exception thrown from an event: 'uncaughtException', or the process ends.
          napi_fatal_exception(env, env.GetAndClearPendingException().Value());
          return;
        }
        if (fd_ < 0) return;  // closed by the callback
        Prepare(count);
        if (!Flush()) return;
      }
      if (received < kBatch) return;
    }
  }

  void WriteSource(int k, const sockaddr_storage& name) {
    uint8_t* s = sources_ + k * kSourceStride;
    std::memset(s, 0, kTextAt);
    if (name.ss_family == AF_INET) {
      s[0] = 4;
      std::memcpy(s + 4, &reinterpret_cast<const sockaddr_in*>(&name)->sin_addr, 4);
      return;
    }
    // As Node's dgram gives it: libuv's text (::ffff:a.b.c.d for IPv4 on a
    // dual-stack socket), and %interface after a scoped address.
    s[0] = 6;
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&name);
    std::memcpy(s + 4, &v6->sin6_addr, 16);
    std::memcpy(s + kScopeAt, &v6->sin6_scope_id, 4);
    char* text = reinterpret_cast<char*>(s + kTextAt);
    // Formatting costs more than the rest of a datagram here; a resolver often sends several in a row.
    const uint8_t* previous = s - kSourceStride;
    if (k > 0 && previous[0] == 6 && std::memcmp(previous + 4, s + 4, kTextAt - 4) == 0) {
      s[1] = previous[1];
      std::memcpy(text, previous + kTextAt, previous[1]);
      return;
    }
    uv_ip6_name(v6, text, kSourceStride - kTextAt);
    size_t length = std::strlen(text);
    size_t room = kSourceStride - kTextAt - length - 1;
    if (v6->sin6_scope_id != 0 && room > 1) {
      text[length] = '%';
      if (uv_if_indextoiid(v6->sin6_scope_id, text + length + 1, &room) == 0) length += 1 + room;
    }
    s[1] = static_cast<uint8_t>(length);
  }

  // The answers JavaScript wrote, as one sendmmsg vector, each to its query's source.
  void Prepare(int count) {
    pending_ = 0;
    sent_ = 0;
    for (int k = 0; k < count; k++) {
      uint32_t length = meta_[k * kMetaStride + 2];
      if (length == 0) continue;
      int i = slot_[k];
      tx_iov_[pending_] = {tx_ + k * kSlot, length};
      msghdr& h = tx_msgs_[pending_].msg_hdr;
      h = {};
      h.msg_name = &names_[i];
      h.msg_namelen = rx_msgs_[i].msg_hdr.msg_namelen;
      h.msg_iov = &tx_iov_[pending_];
      h.msg_iovlen = 1;
      if (wildcard_) ReplyFrom(rx_msgs_[i].msg_hdr, h, tx_control_[pending_]);
      pending_++;
    }
  }

  // The source of an answer: the address its query was sent to.
  static void ReplyFrom(msghdr& query, msghdr& answer, char* control) {
    answer.msg_control = control;
    answer.msg_controllen = kControl;
    cmsghdr* out = CMSG_FIRSTHDR(&answer);
    for (cmsghdr* in = CMSG_FIRSTHDR(&query); in != nullptr; in = CMSG_NXTHDR(&query, in)) {
      if (in->cmsg_level == IPPROTO_IP && in->cmsg_type == IP_PKTINFO) {
        in_pktinfo asked;
        std::memcpy(&asked, CMSG_DATA(in), sizeof asked);
        // No interface: routing picks it, as for any answer.
        in_pktinfo from{};
        from.ipi_spec_dst = asked.ipi_addr;
        out->cmsg_len = CMSG_LEN(sizeof from);
        out->cmsg_level = IPPROTO_IP;
        out->cmsg_type = IP_PKTINFO;
        std::memcpy(CMSG_DATA(out), &from, sizeof from);
        answer.msg_controllen = CMSG_SPACE(sizeof from);
        return;
      }
      if (in->cmsg_level == IPPROTO_IPV6 && in->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo asked;
        std::memcpy(&asked, CMSG_DATA(in), sizeof asked);
        in6_pktinfo from{};
        from.ipi6_addr = asked.ipi6_addr;
        // A link-local address means something only on its interface.
        if (IN6_IS_ADDR_LINKLOCAL(&asked.ipi6_addr)) from.ipi6_ifindex = asked.ipi6_ifindex;
        out->cmsg_len = CMSG_LEN(sizeof from);
        out->cmsg_level = IPPROTO_IPV6;
        out->cmsg_type = IPV6_PKTINFO;
        std::memcpy(CMSG_DATA(out), &from, sizeof from);
        answer.msg_controllen = CMSG_SPACE(sizeof from);
        return;
      }
    }
    answer.msg_control = nullptr;
    answer.msg_controllen = 0;
  }

  // Sends what is pending. False when the socket's send buffer is full: the rest
  // waits for it to drain, and no query is read meanwhile (they queue in the
  // kernel's receive buffer), since their slots still hold the answers' addresses.
  bool Flush() {
    while (sent_ < pending_) {
      int sent = sendmmsg(fd_, &tx_msgs_[sent_], pending_ - sent_, MSG_DONTWAIT);
      if (sent > 0) {
        // The kernel stopped at a datagram it could not send; the next call says why.
        if (sent < pending_ - sent_) counters_[kPartial]++;
        sent_ += sent;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        counters_[kAgain]++;
        if (!waiting_) uv_poll_start(poll_, UV_WRITABLE, OnPoll);
        waiting_ = true;
        return false;
      }
      // This answer cannot go (ENOBUFS: dropped on the way out; or an error of
      // its own, such as an address the kernel refuses): skip it, send the rest.
      counters_[errno == ENOBUFS ? kNoBufs : kSendError]++;
      sent_++;
    }
    pending_ = 0;
    if (waiting_) uv_poll_start(poll_, UV_READABLE, OnPoll);
    waiting_ = false;
    return true;
  }

  Napi::AsyncContext context_;
  Napi::ObjectReference buffers_;
  Napi::FunctionReference on_batch_;
  int fd_ = -1;
  bool wildcard_ = false;
  bool waiting_ = false;
  uv_poll_t* poll_ = nullptr;
  uint8_t* rx_ = nullptr;
  uint8_t* tx_ = nullptr;
  uint8_t* sources_ = nullptr;
  uint32_t* meta_ = nullptr;
  double* counters_ = nullptr;
  int pending_ = 0;
  int sent_ = 0;
  int slot_[kBatch];
  mmsghdr rx_msgs_[kBatch] = {};
  iovec rx_iov_[kBatch];
  sockaddr_storage names_[kBatch];
  alignas(cmsghdr) char rx_control_[kBatch][kControl];
  mmsghdr tx_msgs_[kBatch] = {};
  iovec tx_iov_[kBatch];
  alignas(cmsghdr) char tx_control_[kBatch][kControl];
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("UdpSocket", UdpSocket::Define(env));
  exports.Set("BATCH", Napi::Number::New(env, kBatch));
  exports.Set("SLOT", Napi::Number::New(env, kSlot));
  exports.Set("SOURCE_STRIDE", Napi::Number::New(env, kSourceStride));
  exports.Set("META_STRIDE", Napi::Number::New(env, kMetaStride));
  exports.Set("COUNTERS", Napi::Number::New(env, kCounters));
  return exports;
}

}  // namespace

NODE_API_MODULE(flipdns_udp, Init)
