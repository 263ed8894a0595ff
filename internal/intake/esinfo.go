package intake

import (
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

// IsESProbe reports whether r is one of the requests Elasticsearch clients
// send to check the server before writing (GET or HEAD of / and /_license).
func IsESProbe(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && (r.URL.Path == "/" || r.URL.Path == "/_license")
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

// ESInfo serves GET / and HEAD / as Elasticsearch does (the cluster
// information clients check before their first bulk request), and GET
// /_license (the basic licence Beats check), with the X-Elastic-Product
// header. The caller must hold an intake token.
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
	if r.URL.Path == "/_license" {
		w.Write([]byte(esLicense))
		return
	}
	w.Write([]byte(esInfo))
}

// NotIntake answers a path that is not an intake route on the intake
// listener, in Elasticsearch's error shape (the clients most likely to
// probe other paths).
func NotIntake(w http.ResponseWriter, r *http.Request) {
	bulkError(w, http.StatusNotFound, "no handler found for uri ["+r.URL.Path+"] and method ["+r.Method+"]")
}
