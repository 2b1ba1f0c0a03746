#include "backends/server/streaming_request.h"

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <stdexcept>

namespace mtb::server {
namespace {

void set_timeout(httplib::Client& c, double seconds, void (httplib::Client::*setter)(time_t, time_t)) {
  const auto sec = static_cast<time_t>(seconds);
  (c.*setter)(sec, static_cast<time_t>((seconds - double(sec)) * 1e6));
}

constexpr size_t kErrorBodyMax = 600;

}  // namespace

StreamingRequest::StreamingRequest(const HttpSettings& http, std::string path, std::string json_body, Framing framing)
    : http_(http), path_(std::move(path)), body_(std::move(json_body)), events_(framing) {
  client_ = std::make_unique<httplib::Client>(http_.scheme_host_port);
  set_timeout(*client_, http_.connect_timeout_s, &httplib::Client::set_connection_timeout);
  set_timeout(*client_, http_.read_timeout_s, &httplib::Client::set_read_timeout);
  set_timeout(*client_, http_.read_timeout_s, &httplib::Client::set_write_timeout);
  if (!http_.api_key.empty()) client_->set_bearer_token_auth(http_.api_key);
  reader_ = std::thread([this] { read_stream(); });
}

StreamingRequest::~StreamingRequest() {
  cancel();
  if (reader_.joinable()) reader_.join();
}

void StreamingRequest::cancel() {
  if (cancelled_.exchange(true)) return;
  client_->stop();  // shuts the socket down, so a reader blocked in recv returns now
}

std::string StreamingRequest::where() const { return http_.scheme_host_port + path_; }

void StreamingRequest::read_stream() {
  httplib::Request req;
  req.method = "POST";
  req.path = path_;
  req.body = body_;
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream, application/x-ndjson"}};
  req.response_handler = [this](const httplib::Response& res) {
    std::lock_guard lock(m_);
    status_ = res.status;
    return !cancelled_;
  };
  req.content_receiver = [this](const char* data, size_t n, uint64_t, uint64_t) {
    if (cancelled_) return false;
    std::lock_guard lock(m_);
    if (status_ != 200) {  // an error answer: keep its start for the message
      error_body_.append(data, std::min(n, kErrorBodyMax - std::min(kErrorBodyMax, error_body_.size())));
      return true;
    }
    try {
      for (std::string& msg : events_.feed({data, n})) {
        queued_bytes_ += msg.size();
        queue_.push_back(std::move(msg));
        ++n_messages_;
      }
    } catch (const std::length_error& e) {
      too_long_ = fmt::format("the stream from {}: {}", where(), e.what());
      return false;  // ends the request: what was read is freed, nothing more is
    }
    if (queued_bytes_ > kMaxQueuedBytes) {
      too_long_ = fmt::format("the stream from {} ran {} MiB ahead of the client (a stream that never ends?)", where(),
                              kMaxQueuedBytes >> 20);
      queue_.clear();
      queued_bytes_ = 0;
      return false;
    }
    cv_.notify_all();
    return true;
  };

  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool ok = client_->send(req, res, err);

  std::lock_guard lock(m_);
  if (!too_long_.empty()) {
    failure_ = too_long_;
  } else if (cancelled_) {
    failure_ = "cancelled";
  } else if (!ok) {
    switch (err) {
      case httplib::Error::Connection:
        failure_ = fmt::format("could not connect to {} (connection refused: is the server running and the "
                               "--server-url right? --spawn-llama-server starts one)", http_.scheme_host_port);
        break;
      case httplib::Error::ConnectionTimeout:
        failure_ = fmt::format("connecting to {} timed out after {} s", http_.scheme_host_port, http_.connect_timeout_s);
        break;
      case httplib::Error::Read:
        failure_ = n_messages_ == 0 && status_ == 0
                       ? fmt::format("no answer from {} within {} s (raise --server-timeout for a slow server)", where(),
                                     http_.read_timeout_s)
                       : fmt::format("the stream from {} broke off after {} messages (the server closed the "
                                     "connection or went silent for {} s)", where(), n_messages_, http_.read_timeout_s);
        break;
      default:
        failure_ = fmt::format("request to {} failed: {}", where(), httplib::to_string(err));
    }
  } else if (res.status != 200) {
    failure_ = fmt::format("HTTP {} from {}: {}{}", res.status, where(), error_body_.empty() ? "(no body)" : error_body_,
                           res.status == 404 ? " (wrong --server-url/--server-api, or the model is not loaded?)" : "");
  } else if (!events_.pending().empty()) {
    failure_ = fmt::format("the stream from {} ended inside a message: '{}'", where(), events_.pending().substr(0, 200));
  }
  ended_ = true;
  cv_.notify_all();
}

std::optional<std::string> StreamingRequest::next() {
  std::unique_lock lock(m_);
  // httplib's own read timeout ends a silent stream first; this bound only guards against a reader
  // that never returns.
  const auto limit = std::chrono::duration<double>(http_.connect_timeout_s + http_.read_timeout_s + 5);
  if (!cv_.wait_for(lock, limit, [&] { return !queue_.empty() || ended_; }))
    throw std::runtime_error(fmt::format("no data from {} for {:.0f} s", where(), limit.count()));
  if (!queue_.empty()) {
    std::string msg = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= msg.size();
    return msg;
  }
  if (!failure_.empty()) throw std::runtime_error(failure_);
  return std::nullopt;
}

}  // namespace mtb::server
