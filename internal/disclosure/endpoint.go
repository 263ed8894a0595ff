package disclosure

import (
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Endpoint is an affected URL reduced to what identifies the weakness:
// host, path with ids replaced by {id}, and the query parameter names.
type Endpoint struct {
	Host   string   // lower case, no default port
	Key    string   // host + normalised path, e.g. "app.example.sg/users/{id}/edit"
	Params []string // sorted query parameter names
}

var (
	numericRe = regexp.MustCompile(`^[0-9]+$`)
	uuidRe    = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)
	hexIDRe   = regexp.MustCompile(`^[0-9a-fA-F]{16,}$`)
)

// NormaliseURL reduces an affected URL (or a bare host/path such as
// "app.example.sg/login") to an Endpoint. It never fails: text that is not
// a URL gives an empty Endpoint.
func NormaliseURL(raw string) Endpoint {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 2000 {
		return Endpoint{}
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return Endpoint{}
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || strings.ContainsAny(host, " /\\@") {
		return Endpoint{}
	}
	host = strings.TrimSuffix(host, ".")
	if p := u.Port(); p != "" && !(p == "443" && u.Scheme == "https" || p == "80" && u.Scheme == "http") {
		host = net.JoinHostPort(host, p)
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	p = path.Clean(p)
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch {
		case numericRe.MatchString(s), uuidRe.MatchString(s), hexIDRe.MatchString(s):
			segs[i] = "{id}"
		default:
			segs[i] = strings.ToLower(s)
		}
	}
	p = strings.TrimSuffix(strings.Join(segs, "/"), "/")
	var params []string
	for k := range u.Query() {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" && !slices.Contains(params, k) {
			params = append(params, k)
		}
	}
	slices.Sort(params)
	if len(params) > 50 {
		params = params[:50]
	}
	return Endpoint{Host: host, Key: host + p, Params: params}
}
