package taxii

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// Server answers the TAXII 2.1 read endpoints for one API root. Its
// methods are http.HandlerFuncs; Routes lists them with ServeMux
// patterns, for the caller to mount behind its authentication.
type Server struct {
	Source Source
	// Prefix is the path of the discovery endpoint (default "/taxii2/");
	// the API root is Prefix + APIRootName + "/".
	Prefix      string
	APIRootName string // default "api"
	// Title, Description, Contact describe the server.
	Title, Description, Contact string
	// MaxLimit caps limit (default 1000); DefaultLimit applies when the
	// client sets none (default 100).
	MaxLimit, DefaultLimit int
	// MaxContentLength is announced in the API root (default 10 MiB).
	MaxContentLength int
}

func (s *Server) prefix() string {
	p := s.Prefix
	if p == "" {
		p = "/taxii2/"
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

func (s *Server) rootPath() string {
	n := s.APIRootName
	if n == "" {
		n = "api"
	}
	return s.prefix() + n + "/"
}

// Routes returns the endpoints as ServeMux patterns.
func (s *Server) Routes() map[string]http.HandlerFunc {
	root := s.rootPath()
	return map[string]http.HandlerFunc{
		"GET " + s.prefix() + "{$}":                                     s.Discovery,
		"GET " + root + "{$}":                                           s.APIRoot,
		"GET " + root + "collections/{$}":                               s.Collections,
		"GET " + root + "collections/{collection}/{$}":                  s.Collection,
		"GET " + root + "collections/{collection}/objects/{$}":          s.Objects,
		"GET " + root + "collections/{collection}/objects/{object}/{$}": s.Object,
		"GET " + root + "collections/{collection}/manifest/{$}":         s.Manifest,
		"POST " + root + "collections/{collection}/objects/{$}":         s.AddObjects,
	}
}

// negotiate answers 406 when the client does not take TAXII 2.1.
func negotiate(w http.ResponseWriter, r *http.Request) bool {
	if !acceptable(r.Header.Get("Accept")) {
		writeError(w, http.StatusNotAcceptable, "Not Acceptable", "this server speaks "+MediaType)
		return false
	}
	return true
}

// Discovery answers GET {prefix}.
func (s *Server) Discovery(w http.ResponseWriter, r *http.Request) {
	if !negotiate(w, r) {
		return
	}
	root := s.rootPath()
	writeJSON(w, http.StatusOK, Discovery{Title: s.Title, Description: s.Description, Contact: s.Contact, Default: root, APIRoots: []string{root}})
}

// APIRoot answers GET {root}.
func (s *Server) APIRoot(w http.ResponseWriter, r *http.Request) {
	if !negotiate(w, r) {
		return
	}
	n := s.MaxContentLength
	if n <= 0 {
		n = 10 << 20
	}
	writeJSON(w, http.StatusOK, APIRoot{Title: s.Title, Description: s.Description, Versions: []string{MediaType}, MaxContentLength: n})
}

// Collections answers GET {root}collections/.
func (s *Server) Collections(w http.ResponseWriter, r *http.Request) {
	if !negotiate(w, r) {
		return
	}
	cols, err := s.Source.Collections(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal Error", "")
		return
	}
	for i := range cols {
		if len(cols[i].MediaTypes) == 0 {
			cols[i].MediaTypes = []string{STIXMediaType}
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Collections []Collection `json:"collections,omitempty"`
	}{cols})
}

// collection finds the collection of the request, answering 404 (unknown
// or not visible) or 403 (visible but not readable) itself.
func (s *Server) collection(w http.ResponseWriter, r *http.Request) (*Collection, bool) {
	if !negotiate(w, r) {
		return nil, false
	}
	cols, err := s.Source.Collections(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal Error", "")
		return nil, false
	}
	id := r.PathValue("collection")
	for i := range cols {
		if cols[i].ID == id || (cols[i].Alias != "" && cols[i].Alias == id) {
			if len(cols[i].MediaTypes) == 0 {
				cols[i].MediaTypes = []string{STIXMediaType}
			}
			return &cols[i], true
		}
	}
	writeError(w, http.StatusNotFound, "Not Found", "no such collection")
	return nil, false
}

// Collection answers GET {root}collections/{id}/.
func (s *Server) Collection(w http.ResponseWriter, r *http.Request) {
	if c, ok := s.collection(w, r); ok {
		writeJSON(w, http.StatusOK, c)
	}
}

// query reads the filter parameters.
func (s *Server) query(r *http.Request) (Query, error) {
	v := r.URL.Query()
	q := Query{Next: v.Get("next"), IDs: splitList(v["match[id]"]), Types: splitList(v["match[type]"])}
	if a := v.Get("added_after"); a != "" {
		t, err := ParseTime(a)
		if err != nil {
			return q, err
		}
		q.AddedAfter = t
	}
	max, def := s.MaxLimit, s.DefaultLimit
	if max <= 0 {
		max = 1000
	}
	if def <= 0 || def > max {
		def = min(100, max)
	}
	q.Limit = def
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return q, errors.New("limit must be a positive whole number")
		}
		q.Limit = min(n, max)
	}
	for _, p := range []string{"match[version]", "match[spec_version]"} {
		if x := v.Get(p); x != "" && x != "last" && x != "2.1" {
			return q, errors.New(p + "=" + x + " is not supported (this server keeps the last version of each object, STIX 2.1)")
		}
	}
	return q, nil
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, q Query) (Page, bool) {
	c, ok := s.collection(w, r)
	if !ok {
		return Page{}, false
	}
	if !c.CanRead {
		writeError(w, http.StatusForbidden, "Forbidden", "this collection cannot be read with these credentials")
		return Page{}, false
	}
	p, err := s.Source.Objects(r.Context(), c.ID, q)
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "Not Found", "no such collection")
		return Page{}, false
	case errors.Is(err, ErrBadQuery):
		writeError(w, http.StatusBadRequest, "Bad Request", err.Error())
		return Page{}, false
	case err != nil:
		writeError(w, http.StatusInternalServerError, "Internal Error", "")
		return Page{}, false
	}
	if len(p.Objects) > 0 {
		w.Header().Set(HeaderDateAddedFirst, FormatTime(p.Objects[0].DateAdded))
		w.Header().Set(HeaderDateAddedLast, FormatTime(p.Objects[len(p.Objects)-1].DateAdded))
	}
	return p, true
}

// Objects answers GET {root}collections/{id}/objects/.
func (s *Server) Objects(w http.ResponseWriter, r *http.Request) {
	q, err := s.query(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request", err.Error())
		return
	}
	p, ok := s.page(w, r, q)
	if !ok {
		return
	}
	env := Envelope{More: p.More, Next: p.Next}
	for _, o := range p.Objects {
		env.Objects = append(env.Objects, o.Raw)
	}
	writeJSON(w, http.StatusOK, env)
}

// Object answers GET {root}collections/{id}/objects/{object-id}/.
func (s *Server) Object(w http.ResponseWriter, r *http.Request) {
	q, err := s.query(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request", err.Error())
		return
	}
	q.IDs, q.Next = []string{r.PathValue("object")}, ""
	p, ok := s.page(w, r, q)
	if !ok {
		return
	}
	if len(p.Objects) == 0 {
		writeError(w, http.StatusNotFound, "Not Found", "no such object")
		return
	}
	env := Envelope{More: p.More, Next: p.Next}
	for _, o := range p.Objects {
		env.Objects = append(env.Objects, o.Raw)
	}
	writeJSON(w, http.StatusOK, env)
}

// ManifestRecord describes one object without its content.
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

// Manifest answers GET {root}collections/{id}/manifest/.
func (s *Server) Manifest(w http.ResponseWriter, r *http.Request) {
	q, err := s.query(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request", err.Error())
		return
	}
	p, ok := s.page(w, r, q)
	if !ok {
		return
	}
	out := struct {
		More    bool             `json:"more,omitempty"`
		Next    string           `json:"next,omitempty"`
		Objects []ManifestRecord `json:"objects,omitempty"`
	}{More: p.More, Next: p.Next}
	for _, o := range p.Objects {
		out.Objects = append(out.Objects, ManifestRecord{ID: o.ID, DateAdded: FormatTime(o.DateAdded), Version: FormatTime(o.Version), MediaType: STIXMediaType})
	}
	writeJSON(w, http.StatusOK, out)
}

// AddObjects answers POST to a collection's objects: kubu's collections
// are read-only, so 403 for a collection the caller can see, 404 else.
func (s *Server) AddObjects(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	if !c.CanWrite {
		writeError(w, http.StatusForbidden, "Forbidden", "this collection is read-only")
		return
	}
	writeError(w, http.StatusNotImplemented, "Not Implemented", "adding objects is not supported")
}
