// The API's OpenAPI 3.1 description (docs/openapi.json in the repository), compiled into the
// binary so GET /openapi.json always describes the server that answers it.
#pragma once

#include <string_view>

namespace scriptgen::api {

std::string_view OpenApiDocument();

}  // namespace scriptgen::api
