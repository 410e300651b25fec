#pragma once
// FakeOpenSearch's state and its request handling, shared by the front door (opensearch_server.cpp:
// faults, limits, auth, decoding) and the REST handlers (opensearch_rest.cpp). One executor: no
// locks.

#include "ltf/fake_opensearch.hpp"
#include "ltf/net.hpp"
#include "ltf/notifier.hpp"
#include "opensearch_cluster.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace ltf::emulator {

namespace asio = boost::asio;
namespace json = boost::json;
namespace http = net::http;

struct FakeOpenSearch::Server : std::enable_shared_from_this<FakeOpenSearch::Server> {
  Server(asio::any_io_executor ex, FakeOpenSearchOptions o)
      : executor(ex),
        options(std::move(o)),
        draws(options.seed),
        ids(options.seed ^ 0x9e3779b97f4a7c15ULL),
        changed(std::make_shared<async::Notifier>(ex)) {}

  asio::any_io_executor executor;
  FakeOpenSearchOptions options;
  OpenSearchFault fault;
  double rejection_rate = 0;
  std::mt19937_64 draws, ids;
  std::shared_ptr<async::Notifier> changed;
  opensearch::Cluster cluster;
  OpenSearchCounters counters;
  std::vector<OpenSearchRequest> received;

  std::uint16_t port = 0;
  bool listening = false;
  std::unique_ptr<net::HttpServer> server;
  std::uint64_t generation = 0;  // bumped whenever the listener closes: releases hung requests

  boost::system::error_code open();
  void close();
  boost::system::error_code apply_fault();

  OpenSearchFault take_fault();
  asio::awaitable<void> hang_until_closed();
  asio::awaitable<net::Response> handle(net::Request& request);
  net::Response serve(net::Request& request, std::size_t entry);
  std::optional<net::Response> check_auth(const net::Request& request);
  net::Response route(const net::Request& request, const std::string& body);
  net::Response bulk(const net::Request& request, const std::string& body,
                     std::optional<std::string> index);
  net::Response index_api(http::verb verb, const std::string& name, const net::Request& request,
                          const std::string& body);
  net::Response template_api(http::verb verb, const std::string& name,
                             const net::Request& request, const std::string& body);
  net::Response templates_listing();
  net::Response data_stream_api(http::verb verb, const std::string& name);
  std::optional<net::Response> json_body(const net::Request& request, const std::string& body,
                                         bool required, json::object& out);
  const opensearch::Index* find(const std::string& name) const;
};

}  // namespace ltf::emulator
