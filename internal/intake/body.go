package intake

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Body errors, answered 413, 415 and 400.
var (
	errTooLarge    = errors.New("the request body is too large")
	errEncoding    = errors.New("unsupported Content-Encoding; send identity or gzip")
	errCompression = errors.New("the gzip body is corrupt")
)

// bodyStatus maps a body error to its HTTP status.
func bodyStatus(err error) int {
	switch {
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errEncoding):
		return http.StatusUnsupportedMediaType
	}
	return http.StatusBadRequest
}

// limitedReader fails with errTooLarge once more than n bytes are read.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errTooLarge
	}
	return n, err
}

// gzipReaders recycles gzip readers (each holds ~40 KiB of tables).
var gzipReaders sync.Pool

type gzipBody struct {
	zr   *gzip.Reader
	lim  io.Reader // zr, limited
	body io.Closer
}

func (g *gzipBody) Read(p []byte) (int, error) {
	n, err := g.lim.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, errTooLarge) {
		err = fmt.Errorf("%w: %v", errCompression, err)
	}
	return n, err
}

func (g *gzipBody) Close() error {
	gzipReaders.Put(g.zr)
	return g.body.Close()
}

// openBody returns the request body, decompressed, failing with
// errTooLarge past max bytes (compressed or not). A declared
// Content-Length over max is refused before anything is read.
func openBody(r *http.Request, max int64) (io.ReadCloser, error) {
	if r.ContentLength > max {
		return nil, errTooLarge
	}
	raw := io.NopCloser(&limitedReader{r: r.Body, n: max})
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return readCloser{raw, r.Body}, nil
	case "gzip", "x-gzip":
		zr, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(raw)
		} else {
			err = zr.Reset(raw)
		}
		if err != nil {
			if errors.Is(err, errTooLarge) {
				return nil, errTooLarge
			}
			return nil, fmt.Errorf("%w: %v", errCompression, err)
		}
		return &gzipBody{zr: zr, lim: &limitedReader{r: zr, n: max}, body: r.Body}, nil
	default:
		return nil, errEncoding
	}
}

type readCloser struct {
	io.Reader
	c io.Closer
}

func (rc readCloser) Close() error { return rc.c.Close() }

// bodyBufs recycles request body buffers.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody keeps very large buffers out of the pool.
const maxPooledBody = 4 << 20

// readBody reads the whole (decompressed) body into a pooled buffer; give
// it back with putBody.
func readBody(r *http.Request, max int64) (*bytes.Buffer, error) {
	body, err := openBody(r, max)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	buf := bodyBufs.Get().(*bytes.Buffer)
	buf.Reset()
	if r.ContentLength > 0 && r.Header.Get("Content-Encoding") == "" {
		buf.Grow(int(r.ContentLength) + 1)
	}
	if _, err := buf.ReadFrom(body); err != nil {
		putBody(buf)
		return nil, err
	}
	return buf, nil
}

func putBody(b *bytes.Buffer) {
	if b != nil && b.Cap() <= maxPooledBody {
		bodyBufs.Put(b)
	}
}
