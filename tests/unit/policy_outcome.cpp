// Outcome classification: which errors prove the server answered, which leave
// the outcome unknown, and which a resend may fix.
#include <catch2/catch_test_macros.hpp>

#include <system_error>

#include <valkey/error.hpp>
#include <valkey/policy/outcome.hpp>

using valkey::errc;
using valkey::make_error_code;
using valkey::policy::Outcome;
using valkey::policy::failure_of;
using valkey::policy::outcome_of;
using valkey::policy::transient;

TEST_CASE("a reply of any kind is a known outcome whatever the written bit says", "[policy]") {
  CHECK(outcome_of({}, true) == Outcome::ok);
  CHECK(outcome_of(make_error_code(errc::server_error), true) == Outcome::server_error);
  CHECK(outcome_of(make_error_code(errc::server_error), false) == Outcome::server_error);
  CHECK(outcome_of(make_error_code(errc::exec_aborted), true) == Outcome::server_error);
  for (errc e : {errc::unexpected_reply_type, errc::unexpected_null, errc::invalid_number}) {
    INFO(make_error_code(e).message());
    CHECK(outcome_of(make_error_code(e), true) == Outcome::ok);
  }
}

TEST_CASE("transport errors are not_sent before the write and sent_no_reply after it", "[policy]") {
  for (errc e : {errc::not_connected, errc::queue_full, errc::connection_closed, errc::connection_lost,
                 errc::timeout, errc::cancelled, errc::health_check_failed, errc::protocol_error,
                 errc::protocol_bulk_too_large, errc::handshake_failed, errc::tls_error}) {
    INFO(make_error_code(e).message());
    CHECK(outcome_of(make_error_code(e), false) == Outcome::not_sent);
    CHECK(outcome_of(make_error_code(e), true) == Outcome::sent_no_reply);
  }
  const auto reset = std::make_error_code(std::errc::connection_reset);
  CHECK(outcome_of(reset, false) == Outcome::not_sent);
  CHECK(outcome_of(reset, true) == Outcome::sent_no_reply);
}

TEST_CASE("only transport failures are transient", "[policy]") {
  for (errc e : {errc::not_connected, errc::connection_lost, errc::timeout, errc::health_check_failed}) {
    INFO(make_error_code(e).message());
    CHECK(transient(make_error_code(e)));
  }
  CHECK(transient(std::make_error_code(std::errc::connection_refused)));
  for (errc e : {errc::cancelled, errc::connection_closed, errc::queue_full, errc::invalid_argument,
                 errc::invalid_url, errc::auth_failed, errc::handshake_failed, errc::tls_error,
                 errc::server_error, errc::exec_aborted, errc::unexpected_null, errc::protocol_error,
                 errc::protocol_message_too_large}) {
    INFO(make_error_code(e).message());
    CHECK_FALSE(transient(make_error_code(e)));
  }
  CHECK_FALSE(transient({}));
}

TEST_CASE("failure_of takes the server prefix only from server errors", "[policy]") {
  const auto f = failure_of(make_error_code(errc::server_error), true, "LOADING Valkey is loading the dataset");
  CHECK(f.outcome == Outcome::server_error);
  CHECK(f.server_prefix == "LOADING");
  CHECK_FALSE(f.transient);
  CHECK(failure_of(make_error_code(errc::server_error), true, "TRYAGAIN").server_prefix == "TRYAGAIN");
  const auto lost = failure_of(make_error_code(errc::connection_lost), true, "stale text");
  CHECK(lost.outcome == Outcome::sent_no_reply);
  CHECK(lost.server_prefix.empty());
  CHECK(lost.transient);
}

TEST_CASE("outcomes have names", "[policy]") {
  CHECK(to_string(Outcome::not_sent) == "not_sent");
  CHECK(to_string(Outcome::sent_no_reply) == "sent_no_reply");
  CHECK(to_string(Outcome::server_error) == "server_error");
  CHECK(to_string(Outcome::ok) == "ok");
}
