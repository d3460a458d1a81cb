// Registration functions of the API's route groups; see api.h. Internal to src/api.
#pragma once

#include <boost/json/object.hpp>

#include "api/api.h"
#include "http/request.h"

namespace scriptgen::api {

void AddDocumentRoutes(http::Router& router, const ApiServices& s, const ApiOptions& o);
void AddJobRoutes(http::Router& router, const ApiServices& s);
void AddDlqRoutes(http::Router& router, const ApiServices& s);
void AddSearchRoutes(http::Router& router, const ApiServices& s);

http::Response Json(int status, const boost::json::object& body);

}  // namespace scriptgen::api
