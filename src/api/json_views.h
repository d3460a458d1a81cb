// How jobs, documents and search results look in the API's JSON. The one place that decides field
// names, so the HTTP handlers, the SSE stream and the docs agree.
#pragma once

#include <boost/json/object.hpp>
#include <vector>

#include "ingest/document_service.h"
#include "jobs/job.h"
#include "jobs/progress_bus.h"
#include "search/search_service.h"
#include "store/token_store.h"

namespace scriptgen::api {

boost::json::object JobJson(const jobs::Job& job);
// A dead job with its error history and the recommendation of its error class.
boost::json::object DeadJobJson(const jobs::Job& job,
                                const std::vector<jobs::ErrorRecord>& history);
boost::json::object DocumentJson(const ingest::DocumentView& view);
boost::json::object SearchResultJson(const search::SearchResult& result);
// The data of an SSE event.
boost::json::object EventJson(const jobs::JobEvent& event);
// An API token's public description (never its secret or hash); state is derived at now_ms.
boost::json::object TokenJson(const store::TokenRecord& token, int64_t now_ms);

}  // namespace scriptgen::api
