// Package taxii speaks TAXII 2.1: a client that discovers a server's API
// roots and collections and polls a collection's objects (added_after,
// limit, and paging by next or by X-TAXII-Date-Added-Last), and the
// server side as handler functions over a small Source interface, to be
// mounted behind the caller's router and authentication.
//
// The package has no dependency on the rest of kubu.
package taxii

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

// MediaType is the TAXII 2.1 media type; STIXMediaType that of the
// objects.
const (
	MediaType     = "application/taxii+json;version=2.1"
	STIXMediaType = "application/stix+json;version=2.1"
)

// The headers of an objects or manifest answer.
const (
	HeaderDateAddedFirst = "X-TAXII-Date-Added-First"
	HeaderDateAddedLast  = "X-TAXII-Date-Added-Last"
)

// timeFormat is the timestamp format TAXII uses.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// FormatTime writes a TAXII timestamp (UTC, microseconds).
func FormatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

// ParseTime reads a TAXII timestamp (any RFC 3339 time).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp", s)
	}
	return t, nil
}

// Discovery is the discovery resource.
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot is the API root resource.
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int      `json:"max_content_length"`
}

// Collection is a collection resource.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Envelope is the answer of the objects endpoint.
type Envelope struct {
	More    bool              `json:"more,omitempty"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// ErrorMessage is TAXII's error resource.
type ErrorMessage struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	HTTPStatus  string `json:"http_status,omitempty"`
}

// acceptable reports whether an Accept header admits TAXII 2.1 JSON.
func acceptable(accept string) bool {
	if accept == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*":
			return true
		case "application/taxii+json":
			if v, ok := params["version"]; !ok || v == "2.1" {
				return true
			}
		}
	}
	return false
}

// isTAXII reports whether a Content-Type is TAXII JSON (any version
// parameter) or plain JSON.
func isTAXII(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/taxii+json" || mt == "application/json")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, title, desc string) {
	writeJSON(w, status, ErrorMessage{Title: title, Description: desc, HTTPStatus: fmt.Sprint(status)})
}
