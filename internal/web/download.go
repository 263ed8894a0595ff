package web

import (
	"net/http"
	"strconv"
)

// ServeDownload answers a stored file only ever as a download that no
// browser renders or runs: a generic content type, Content-Disposition
// attachment with the given (already safe) name, nosniff, a sandbox CSP and
// no caching. The API and the pages serve every attachment through it.
func ServeDownload(w http.ResponseWriter, safeName string, data []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+safeName+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}
