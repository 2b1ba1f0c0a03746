#include "backends/server/load_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "backends/server/event_stream.h"

namespace mtb::server {
namespace {

// One request in flight: its handle, its stream's framing, and its row being filled.
struct Stream {
  const LoadClientSettings* settings = nullptr;
  const Clock* clock = nullptr;
  double start = 0;
  RequestRow* row = nullptr;
  EventStream events{Framing::sse};
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  long status = 0;
  double last_data = 0;  // when bytes last came (from the start), for the read timeout
  std::string failure;   // set by the write callback, or the silence check: why the transfer ended

  ~Stream() {
    if (headers) curl_slist_free_all(headers);
    if (easy) curl_easy_cleanup(easy);
  }
};

// Every message the server streams: its tokens stamped now; an error or garbage ends the request.
size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto& s = *static_cast<Stream*>(user);
  const size_t bytes = size * n;
  if (s.status == 0) curl_easy_getinfo(s.easy, CURLINFO_RESPONSE_CODE, &s.status);
  const double now = s.clock->now_s() - s.start;
  s.last_data = now;
  if (s.status != 200) return bytes;  // an error's body: its status is the reason
  try {
    for (const std::string& msg : s.events.feed(std::string_view(data, bytes))) {
      const Chunk c = parse_chunk(s.settings->api, msg, s.row->output_tokens);
      if (!c.error.empty()) {
        s.failure = "server error in stream";
        return 0;  // aborts the transfer
      }
      if (c.new_tokens > 0) {
        if (s.row->first_token_s < 0) s.row->first_token_s = now;
        s.row->token_s.push_back(now);
        s.row->output_tokens += c.new_tokens;
        s.row->end_s = now;
      }
    }
  } catch (const std::length_error&) {  // EventStream's bound: memory does not follow an endless line
    s.failure = "message without end";
    return 0;
  } catch (const std::exception&) {
    s.failure = "unparseable message";
    return 0;
  }
  return bytes;
}

// A reason that counts alike across requests: "HTTP 429", "connection refused", ...
std::string failure_of(const Stream& s, CURLcode rc) {
  if (!s.failure.empty()) return s.failure;
  if (s.status != 0 && s.status != 200) return fmt::format("HTTP {}", s.status);
  switch (rc) {
    case CURLE_OK: break;
    case CURLE_COULDNT_CONNECT: return "connection refused";
    case CURLE_OPERATION_TIMEDOUT: return "connect timed out";
    case CURLE_GOT_NOTHING: return "empty reply";
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE: return "connection reset";
    default: return curl_easy_strerror(rc);
  }
  if (s.row->output_tokens < s.settings->expected_tokens) return "stream ended early";
  return "";
}

std::unique_ptr<Stream> start(const LoadJob& job, const LoadClientSettings& s, const Clock& clock, double t0,
                              RequestRow& row, CURLM* multi) {
  auto st = std::make_unique<Stream>();
  st->settings = &s;
  st->clock = &clock;
  st->start = t0;
  st->row = &row;
  st->events = EventStream(job.request.framing);
  st->body = job.request.body.dump();
  st->easy = curl_easy_init();
  if (!st->easy) throw std::runtime_error("libcurl could not make a request handle");
  const std::string url = s.http.scheme_host_port + job.request.path;
  st->headers = curl_slist_append(st->headers, "Content-Type: application/json");
  // No "Expect: 100-continue" (curl asks for it above 1 KB of body): a round trip before each long
  // prompt would count into its time to first token.
  st->headers = curl_slist_append(st->headers, "Expect:");
  if (!s.http.api_key.empty()) st->headers = curl_slist_append(st->headers, ("Authorization: Bearer " + s.http.api_key).c_str());
  curl_easy_setopt(st->easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(st->easy, CURLOPT_HTTPHEADER, st->headers);
  curl_easy_setopt(st->easy, CURLOPT_POSTFIELDS, st->body.c_str());
  curl_easy_setopt(st->easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(st->body.size()));
  curl_easy_setopt(st->easy, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(st->easy, CURLOPT_WRITEDATA, st.get());
  curl_easy_setopt(st->easy, CURLOPT_PRIVATE, st.get());
  curl_easy_setopt(st->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(st->easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(st->easy, CURLOPT_PROXY, "");  // loopback or the given URL only, never a proxy
  curl_easy_setopt(st->easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(1e3 * s.http.connect_timeout_s));
  row.prompt_tokens = job.prompt_tokens;
  row.send_s = clock.now_s() - t0;
  row.end_s = row.send_s;
  st->last_data = row.send_s;
  curl_multi_add_handle(multi, st->easy);
  return st;
}

}  // namespace

LoadClient::LoadClient() {
  static const bool init = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  CURLM* m = init ? curl_multi_init() : nullptr;
  if (!m) throw std::runtime_error("libcurl could not start");
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 4096L);  // keep every stream's connection between calls
  multi_ = m;
}

LoadClient::~LoadClient() { curl_multi_cleanup(static_cast<CURLM*>(multi_)); }

std::vector<RequestRow> LoadClient::run(const std::vector<LoadJob>& jobs, const LoadClientSettings& s, const Clock& clock) {
  CURLM* multi = static_cast<CURLM*>(multi_);
  std::vector<RequestRow> rows(jobs.size());
  std::vector<std::unique_ptr<Stream>> live;
  size_t next = 0, sent = 0;
  const double t0 = clock.now_s();
  while (next < jobs.size() || !live.empty()) {
    const double now = clock.now_s() - t0;
    const bool sending = s.duration_s <= 0 || now < s.duration_s;
    while (sending && next < jobs.size() && (s.max_in_flight <= 0 || static_cast<int>(live.size()) < s.max_in_flight) &&
           (!s.open_loop || jobs[next].at_s <= now)) {
      live.push_back(start(jobs[next], s, clock, t0, rows[next], multi));
      ++next;
      ++sent;
    }
    if (!sending) next = jobs.size();  // the rest are not sent: the duration is over
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Stream* st = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &st);
      if (st->status == 0) curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &st->status);
      st->row->error = failure_of(*st, m->data.result);
      if (!st->row->error.empty()) st->row->end_s = clock.now_s() - t0;
      curl_multi_remove_handle(multi, st->easy);
      live.erase(std::find_if(live.begin(), live.end(), [&](const auto& p) { return p.get() == st; }));
    }
    // Silence bounds every wait: a stream without a byte for the read timeout is ended here.
    const double t = clock.now_s() - t0;
    for (size_t i = 0; i < live.size();) {
      Stream& st = *live[i];
      if (t - st.last_data <= s.http.read_timeout_s) {
        ++i;
        continue;
      }
      st.row->error = fmt::format("no data for {:g} s", s.http.read_timeout_s);
      st.row->end_s = t;
      curl_multi_remove_handle(multi, st.easy);
      live.erase(live.begin() + static_cast<long>(i));
    }
    // Wake for data, or for the next arrival that is due.
    double wait_s = 0.05;
    if (s.open_loop && next < jobs.size()) wait_s = std::clamp(jobs[next].at_s - (clock.now_s() - t0), 0.0, wait_s);
    if (!live.empty() || next < jobs.size()) curl_multi_poll(multi, nullptr, 0, static_cast<int>(std::ceil(1e3 * wait_s)), nullptr);
  }
  rows.resize(sent);
  return rows;
}

}  // namespace mtb::server
