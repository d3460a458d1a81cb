#include "client/sse_parser.h"

#include <gtest/gtest.h>

#include <vector>

namespace scriptgen::client {
namespace {

std::vector<SseEvent> ParseInPieces(std::string_view stream, size_t piece) {
  std::vector<SseEvent> events;
  SseParser p([&](const SseEvent& e) {
    events.push_back(e);
    return true;
  });
  for (size_t i = 0; i < stream.size(); i += piece) p.Feed(stream.substr(i, piece));
  return events;
}

TEST(SseParser, ParsesEventsWithNamesIdsAndData) {
  const std::string stream =
      "event: progress\nid: 1\ndata: {\"percent\":10}\n\n"
      ": heartbeat\n\n"
      "event: state\nid: 2\ndata: {\"state\":\"succeeded\"}\n\n";
  for (size_t piece : {1, 2, 3, 7, 1000}) {
    std::vector<SseEvent> e = ParseInPieces(stream, piece);
    ASSERT_EQ(e.size(), 2u) << "piece " << piece;
    EXPECT_EQ(e[0].event, "progress");
    EXPECT_EQ(e[0].id, "1");
    EXPECT_EQ(e[0].data, "{\"percent\":10}");
    EXPECT_EQ(e[1].event, "state");
    EXPECT_EQ(e[1].id, "2");
    EXPECT_EQ(e[1].data, "{\"state\":\"succeeded\"}");
  }
}

TEST(SseParser, AcceptsCrLfAndCrLineEndsEvenSplitAcrossPieces) {
  const std::string stream = "event: a\r\ndata: x\r\n\r\nevent: b\rdata: y\r\r";
  for (size_t piece : {1, 2, 5, 100}) {
    std::vector<SseEvent> e = ParseInPieces(stream, piece);
    ASSERT_EQ(e.size(), 2u) << "piece " << piece;
    EXPECT_EQ(e[0].event, "a");
    EXPECT_EQ(e[0].data, "x");
    EXPECT_EQ(e[1].event, "b");
    EXPECT_EQ(e[1].data, "y");
  }
}

TEST(SseParser, JoinsDataLinesAndStripsOneLeadingSpace) {
  std::vector<SseEvent> e = ParseInPieces("data:a\ndata:  b\ndata\n\n", 100);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].event, "message");
  EXPECT_EQ(e[0].data, "a\n b\n");
}

TEST(SseParser, IdPersistsAndEventsWithoutDataAreNotDispatched) {
  std::vector<SseEvent> e =
      ParseInPieces("id: 7\nevent: x\n\nevent: state\ndata: snap\n\nretry: 5\nfoo: bar\n\n", 100);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].event, "state");  // the data-less "x" was dropped, its name not carried over
  EXPECT_EQ(e[0].id, "7");         // the id outlives the event that set it
}

TEST(SseParser, SkipsBomAndDiscardsUnterminatedEvent) {
  std::vector<SseEvent> e = ParseInPieces(
      "\xEF\xBB\xBF"
      "data: one\n\ndata: two\n",
      100);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].data, "one");
}

TEST(SseParser, StopsWhenTheCallbackSaysSo) {
  int calls = 0;
  SseParser p([&](const SseEvent&) { return ++calls < 2; });
  EXPECT_TRUE(p.Feed("data: 1\n\n"));
  EXPECT_FALSE(p.Feed("data: 2\n\ndata: 3\n\n"));
  EXPECT_FALSE(p.Feed("data: 4\n\n"));
  EXPECT_EQ(calls, 2);
}

TEST(SseParser, TracksLastEventId) {
  SseParser p([](const SseEvent&) { return true; });
  p.Feed("id: 3\ndata: a\n\nid: 4\ndata: b\n\n");
  EXPECT_EQ(p.last_event_id(), "4");
}

}  // namespace
}  // namespace scriptgen::client
