// Registration functions of the API's route groups; see api.h. Internal to src/api.
#pragma once

#include <boost/json/object.hpp>

#include "api/api.h"
#include "api/route_table.h"
#include "http/request.h"

namespace scriptgen::api {

void AddDocumentRoutes(RouteTable& routes, const ApiServices& s, const ApiOptions& o);
void AddJobRoutes(RouteTable& routes, const ApiServices& s, const ApiOptions& o);
void AddDlqRoutes(RouteTable& routes, const ApiServices& s);
void AddSearchRoutes(RouteTable& routes, const ApiServices& s);
void AddTokenRoutes(RouteTable& routes, const ApiServices& s);
void AddGovernanceRoutes(RouteTable& routes, const ApiServices& s);
void AddEmbedVersionRoutes(RouteTable& routes, const ApiServices& s);

http::Response Json(int status, const boost::json::object& body);

}  // namespace scriptgen::api
