package intake

import (
	"io"
	"net/http"
	"strings"
)

// ESVersion is the Elasticsearch version kubu's intake answers as. Clients
// check it before sending (elasticsearch-py, Beats, Logstash): an 8.x
// version with the X-Elastic-Product header passes every 7.14+ and 8.x
// client's product check.
const ESVersion = "8.19.0"

// esInfo is Elasticsearch's answer to GET /.
const esInfo = `{"name":"kubu","cluster_name":"kubu","cluster_uuid":"a3VidS1pbnRha2UtY2x1c3Rlcg",` +
	`"version":{"number":"` + ESVersion + `","build_flavor":"default","build_type":"kubu","build_hash":"kubu",` +
	`"build_date":"2026-01-01T00:00:00.000Z","build_snapshot":false,"lucene_version":"9.12.2",` +
	`"minimum_wire_compatibility_version":"7.17.0","minimum_index_compatibility_version":"7.0.0"},` +
	`"tagline":"You Know, for Search"}` + "\n"

// esLicense is Elasticsearch's answer to GET /_license: Beats check it on
// connecting and refuse a server without one ("requires the default
// distribution of Elasticsearch").
const esLicense = `{"license":{"status":"active","uid":"6b756275-696e-7461-6b65-000000000001","type":"basic",` +
	`"issue_date":"2026-01-01T00:00:00.000Z","issue_date_in_millis":1767225600000,"max_nodes":1000,` +
	`"max_resource_units":null,"issued_to":"kubu","issuer":"elasticsearch","start_date_in_millis":-1}}` + "\n"

// esXpack is Elasticsearch's answer to GET /_xpack (Logstash checks that
// ILM is available).
const esXpack = `{"build":{"hash":"kubu","date":"2026-01-01T00:00:00.000Z"},` +
	`"license":{"uid":"6b756275-696e-7461-6b65-000000000001","type":"basic","mode":"basic","status":"active"},` +
	`"features":{"ilm":{"available":true,"enabled":true},"security":{"available":true,"enabled":true}},` +
	`"tagline":"You know, for X"}` + "\n"

// esManagement are the index-management APIs shippers call at start to
// set up templates, lifecycle policies, pipelines and data streams. kubu's
// event log has no indices: these calls are acknowledged and change
// nothing, so stock shipper configurations start.
var esManagement = []string{"/_template/", "/_index_template/", "/_component_template/", "/_ilm/policy/", "/_data_stream/", "/_ingest/pipeline/"}

// IsESSetup reports whether r is one of the requests Elasticsearch clients
// send before writing: the server check (GET or HEAD of /, /_license,
// /_xpack) or an index-management call (GET, HEAD, PUT or POST of a
// template, lifecycle policy, ingest pipeline or data stream).
func IsESSetup(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if r.URL.Path == "/" || r.URL.Path == "/_license" || r.URL.Path == "/_xpack" {
			return true
		}
	case http.MethodPut, http.MethodPost:
	default:
		return false
	}
	for _, p := range esManagement {
		if name, ok := strings.CutPrefix(r.URL.Path, p); ok && name != "" && !strings.Contains(name, "/") {
			return true
		}
	}
	return false
}

// HasCredential reports whether r carries an intake credential in a form
// Elasticsearch clients send (ApiKey, Basic, or a Bearer intake token). A
// request for / with one is Elasticsearch's, not the browser's.
func HasCredential(r *http.Request) bool {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	switch strings.ToLower(scheme) {
	case "apikey", "basic":
		return true
	case "bearer":
		return strings.HasPrefix(strings.TrimSpace(rest), TokenPrefix)
	}
	return false
}

// IsIntakePath reports whether path is one of the intake protocols' routes
// (HEC, Elasticsearch _bulk, OTLP logs).
func IsIntakePath(path string) bool {
	return path == "/services/collector" || strings.HasPrefix(path, "/services/collector/") ||
		path == "/_bulk" || strings.HasSuffix(path, "/_bulk") && strings.Count(path, "/") == 2 ||
		path == "/v1/logs"
}

// ESInfo answers the requests of IsESSetup as Elasticsearch does, with the
// X-Elastic-Product header: GET / with the cluster information clients
// check before their first bulk request, /_license with the basic licence
// Beats check, /_xpack, and index-management calls acknowledged (PUT, POST)
// or found (GET, HEAD) without changing anything. The caller must hold an
// intake token.
func (s *Service) ESInfo(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, ProtoBulk); !ok {
		return
	}
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	switch {
	case r.Method == http.MethodPut || r.Method == http.MethodPost:
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.Write([]byte(`{"acknowledged":true}` + "\n"))
	case r.URL.Path == "/":
		w.Write([]byte(esInfo))
	case r.URL.Path == "/_license":
		w.Write([]byte(esLicense))
	case r.URL.Path == "/_xpack":
		w.Write([]byte(esXpack))
	default:
		w.Write([]byte("{}\n"))
	}
}

// NotIntake answers a path that is not an intake route on the intake
// listener, in Elasticsearch's error shape (the clients most likely to
// probe other paths).
func NotIntake(w http.ResponseWriter, r *http.Request) {
	bulkError(w, http.StatusNotFound, "no handler found for uri ["+r.URL.Path+"] and method ["+r.Method+"]")
}
