// Validates docs/openapi.json with a real OpenAPI validator and checks recorded server replies
// against the document's response schemas. Used by test_docs.py, which installs the npm packages.
//
//   node openapi_check.js NPM_DIR validate OPENAPI_FILE
//       swagger-parser's validate(): OpenAPI 3.1 meta-schema + $ref resolution. Prints "valid".
//   node openapi_check.js NPM_DIR responses OPENAPI_FILE RECORDS_FILE
//       RECORDS_FILE: JSON [{"method","path","status","body"}] where path is the document's path
//       template. Each body is validated (Ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1)
//       against the application/json schema of that operation and status. Objects are checked
//       strictly: a property the document does not list is an error unless the schema says
//       additionalProperties: true, so replies cannot silently drift from the document.
//       Prints a JSON array of problems (empty when everything conforms).
'use strict';
const path = require('path');
const fs = require('fs');

const [npmDir, mode, openapiFile, recordsFile] = process.argv.slice(2);
const mod = (name) => require(path.join(npmDir, 'node_modules', name));

// Closes every object schema that lists properties and says nothing about others.
function strict(schema, seen = new Set()) {
  if (schema === null || typeof schema !== 'object' || seen.has(schema)) return schema;
  seen.add(schema);
  if (Array.isArray(schema)) {
    schema.forEach((s) => strict(s, seen));
    return schema;
  }
  if (schema.properties && !('additionalProperties' in schema) && !schema.allOf) {
    schema.additionalProperties = false;
  }
  for (const v of Object.values(schema)) strict(v, seen);
  return schema;
}

async function main() {
  const SwaggerParser = mod('@apidevtools/swagger-parser');
  if (mode === 'validate') {
    await SwaggerParser.validate(openapiFile);
    console.log('valid');
    return;
  }
  const api = await SwaggerParser.dereference(openapiFile);
  const Ajv2020 = mod('ajv/dist/2020').default;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const problems = [];
  const records = JSON.parse(fs.readFileSync(recordsFile, 'utf8'));
  for (const r of records) {
    const where = `${r.method} ${r.path} -> ${r.status}`;
    const op = (api.paths[r.path] || {})[r.method.toLowerCase()];
    if (!op) { problems.push(`${where}: operation not in the document`); continue; }
    const resp = op.responses[String(r.status)];
    if (!resp) { problems.push(`${where}: status not documented`); continue; }
    const media = resp.content && resp.content['application/json'];
    if (!media) { problems.push(`${where}: no application/json schema documented`); continue; }
    const validate = ajv.compile(strict(JSON.parse(JSON.stringify(media.schema))));
    if (!validate(r.body)) {
      const errs = validate.errors.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}` +
        (e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : ''));
      problems.push(`${where}: ${errs.join('; ')}`);
    }
  }
  console.log(JSON.stringify(problems));
}

main().catch((e) => {
  console.log('invalid: ' + String(e.message).split('\n').slice(0, 6).join(' | '));
  process.exit(1);
});
