// An OTLP/HTTP traces receiver for the tests (Debian has no OpenTelemetry collector; this decodes
// with the OpenTelemetry protocol definitions bundled in @elastic/mockotlpserver, tools/fixtures). POST /v1/traces (application/json or application/x-protobuf, gzip allowed) is decoded
// against the OpenTelemetry proto (the package's bundled .proto files), so a malformed request is
// a 400, a wrong content type 415. GET /spans: every span received so far, flattened
// ({traceId, spanId, parentSpanId, name, kind, startTimeUnixNano, endTimeUnixNano, status,
// attributes: {k: v}, resource: {k: v}, scope}); DELETE /spans clears; GET /stats.
// Usage: node otlp_recv.js PORT [DELAY_MS] (0: any free port; the port is printed as {"port":N} on
// stdout). DELAY_MS > 0: every POST is answered that late (a slow collector).
'use strict';
const http = require('http');
const zlib = require('zlib');
const path = require('path');
const fixtures = process.env.ZEROG_FIXTURES_DIR || path.join(__dirname, '..', '..', 'tools', 'fixtures');
const pkg = path.join(fixtures, 'node_modules', '@elastic', 'mockotlpserver', 'lib');
const {getProtoRoot} = require(path.join(pkg, 'proto'));
const {normalizeTrace} = require(path.join(pkg, 'normalize'));
const delayMs = Number(process.argv[3] || 0);

const root = getProtoRoot();
const Req = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
let spans = [];
let requests = 0;
const MAX_BODY = 16 << 20;

// OTLP/JSON carries trace and span ids as hex; protobufjs' fromObject wants base64 for bytes.
function idsToBase64(obj) {
  for (const rs of obj.resourceSpans || []) {
    for (const ss of rs.scopeSpans || []) {
      for (const s of ss.spans || []) {
        for (const k of ['traceId', 'spanId', 'parentSpanId']) {
          if (s[k] === undefined || s[k] === '') continue;
          const want = k === 'traceId' ? 32 : 16;
          if (typeof s[k] !== 'string' || !new RegExp(`^[0-9a-f]{${want}}$`).test(s[k])) throw new Error(`${k} is not ${want} lower-case hex digits`);
          s[k] = Buffer.from(s[k], 'hex').toString('base64');
        }
      }
    }
  }
  return obj;
}

function decode(type, body) {
  if (type === 'application/x-protobuf') return Req.decode(body);
  const obj = idsToBase64(JSON.parse(body.toString('utf8')));
  if (!obj || typeof obj !== 'object' || !Array.isArray(obj.resourceSpans)) throw new Error('resourceSpans is not an array');
  const msg = Req.fromObject(obj);  // JSON mapping: 64-bit integers may be strings, enums numbers
  const err = Req.verify(msg);
  if (err) throw new Error(err);
  return msg;
}

function flatten(msg) {
  const norm = normalizeTrace(msg);
  for (const rs of norm.resourceSpans || []) {
    for (const ss of rs.scopeSpans || []) {
      for (const s of ss.spans || []) {
        spans.push({...s, resource: rs.resource ? rs.resource.attributes : {}, scope: ss.scope ? ss.scope.name : ''});
      }
    }
  }
}

const server = http.createServer((req, res) => {
  const reply = (code, body, ctype = 'application/json') => {
    res.writeHead(code, {'content-type': ctype});
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  if (req.url === '/spans' && req.method === 'GET') return reply(200, spans);
  if (req.url === '/spans' && req.method === 'DELETE') { spans = []; return reply(200, {}); }
  if (req.url === '/stats') return reply(200, {requests, spans: spans.length});
  if (req.url !== '/v1/traces' || req.method !== 'POST') return reply(404, {error: 'not found'});
  const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && type !== 'application/x-protobuf') return reply(415, {error: `unsupported content type ${type}`});
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) { reply(413, {error: 'body too large'}); req.destroy(); return; }
    chunks.push(c);
  });
  req.on('end', () => setTimeout(() => {
    if (res.writableEnded) return;
    requests++;
    try {
      let body = Buffer.concat(chunks);
      if (String(req.headers['content-encoding'] || '').toLowerCase() === 'gzip') body = zlib.gunzipSync(body);
      flatten(decode(type, body));
      if (type === 'application/x-protobuf') return reply(200, Buffer.alloc(0), 'application/x-protobuf');
      return reply(200, {});
    } catch (e) {
      return reply(400, {error: String(e.message || e)});
    }
  }, delayMs));
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({port: server.address().port}) + '\n');
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
