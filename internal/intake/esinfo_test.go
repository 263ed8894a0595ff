package intake

import (
	"net/http/httptest"
	"testing"
)

func TestIsESSetup(t *testing.T) {
	for _, tt := range []struct {
		method, path string
		want         bool
	}{
		{"GET", "/", true}, {"HEAD", "/", true}, {"POST", "/", false},
		{"GET", "/_license", true}, {"GET", "/_xpack", true}, {"PUT", "/_license", false},
		{"HEAD", "/_index_template/filebeat-8.15.0", true}, {"PUT", "/_template/logstash", true},
		{"POST", "/_component_template/x", true}, {"GET", "/_ilm/policy/filebeat", true},
		{"PUT", "/_ingest/pipeline/p", true}, {"PUT", "/_data_stream/logs-x", true},
		{"DELETE", "/_index_template/x", false}, {"PUT", "/_index_template/", false},
		{"PUT", "/_index_template/a/b", false}, {"GET", "/_cluster/health", false},
		{"POST", "/_bulk", false}, {"GET", "/login", false},
	} {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if got := IsESSetup(r); got != tt.want {
			t.Errorf("IsESSetup(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestHasCredential(t *testing.T) {
	for auth, want := range map[string]bool{
		"ApiKey abc": true, "Basic eDp5": true, "Bearer " + TokenPrefix + "x": true,
		"Bearer kubu_api_x": false, "": false, "Splunk x": false,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if got := HasCredential(r); got != want {
			t.Errorf("HasCredential(%q) = %v, want %v", auth, got, want)
		}
	}
}
