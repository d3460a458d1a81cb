// Starts an sg_http Server on an ephemeral loopback port for a test, and stops it at scope exit.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "http/server.h"

namespace scriptgen::http::testing {

class TestServer {
 public:
  explicit TestServer(Router router, ServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    if (options.handler_threads == 16) options.handler_threads = 8;
    server_ = std::make_unique<Server>(std::move(options), std::move(router));
    Status s = server_->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  ~TestServer() { server_->Stop(std::chrono::seconds(5)); }

  uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
};

}  // namespace scriptgen::http::testing
