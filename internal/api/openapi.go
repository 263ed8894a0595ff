package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
)

// The OpenAPI document is assembled from openapi/base.json (info, the
// shared model's paths and schemas) and one fragment per area
// (openapi/*.json other than base.json, each {"paths":{…},"schemas":{…}}),
// so each area documents its own routes. A test checks the result against
// the registered routes.
//
//go:embed openapi/*.json
var openapiFS embed.FS

var openapiDoc = mustAssemble()

// OpenAPI returns the assembled OpenAPI document.
func OpenAPI() []byte { return openapiDoc }

func mustAssemble() []byte {
	b, err := assemble(openapiFS)
	if err != nil {
		panic(err)
	}
	return b
}

func assemble(fsys fs.FS) ([]byte, error) {
	var doc map[string]any
	raw, err := fs.ReadFile(fsys, "openapi/base.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("openapi/base.json: %w", err)
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	names, _ := fs.Glob(fsys, "openapi/*.json")
	sort.Strings(names)
	for _, n := range names {
		if n == "openapi/base.json" {
			continue
		}
		raw, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		var frag struct {
			Paths   map[string]any `json:"paths"`
			Schemas map[string]any `json:"schemas"`
		}
		if err := json.Unmarshal(raw, &frag); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for k, v := range frag.Paths {
			if _, dup := paths[k]; dup {
				return nil, fmt.Errorf("%s: path %s documented twice", n, k)
			}
			paths[k] = v
		}
		for k, v := range frag.Schemas {
			if _, dup := schemas[k]; dup {
				return nil, fmt.Errorf("%s: schema %s defined twice", n, k)
			}
			schemas[k] = v
		}
	}
	return json.MarshalIndent(doc, "", " ")
}

func (a *api) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(openapiDoc)
}
