package intake

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/kubu-gov/kubu/internal/intake/bulk"
)

// bulkError answers a whole _bulk request with Elasticsearch's error shape.
func bulkError(w http.ResponseWriter, status int, reason string) {
	typ := "illegal_argument_exception"
	switch status {
	case http.StatusUnauthorized:
		typ = "security_exception"
		w.Header().Set("WWW-Authenticate", `Basic realm="security" charset="UTF-8", ApiKey, Bearer realm="security"`)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		typ = "es_rejected_execution_exception"
	case http.StatusRequestEntityTooLarge:
		typ = "content_too_long_exception"
	case http.StatusUnsupportedMediaType:
		typ = "media_type_header_exception"
	case http.StatusNotFound:
		typ = "resource_not_found_exception"
	}
	cause := bulk.ErrorCause{Type: typ, Reason: reason}
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	writeJSON(w, status, map[string]any{
		"error":  map[string]any{"root_cause": []bulk.ErrorCause{cause}, "type": cause.Type, "reason": cause.Reason},
		"status": status,
	})
}

// Bulk serves POST /_bulk and POST /{index}/_bulk: NDJSON action and
// document lines, answered item by item. A bad item fails alone; the good
// items of the request are stored.
func (s *Service) Bulk(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	idn, ok := s.identify(w, r, ProtoBulk)
	if !ok {
		return
	}
	start := s.now()
	key, err := idempotencyHeader(r)
	if err != nil {
		s.stats.add(idn.AgencyID, ProtoBulk, 0, 1, 0)
		bulkError(w, http.StatusBadRequest, err.Error())
		return
	}
	body, err := openBody(r, s.opts.MaxBody)
	if err != nil {
		s.stats.add(idn.AgencyID, ProtoBulk, 0, 1, 0)
		bulkError(w, bodyStatus(err), err.Error())
		return
	}
	defer body.Close()
	dec := bulk.NewDecoder(body, bulk.Options{DefaultIndex: r.PathValue("index"), MaxLine: s.opts.MaxEvent})
	p := s.bufs.Get().(*pending)
	defer s.bufs.Put(p)
	p.reset(idn.Agency)
	n := s.norms.Get().(*normaliser)
	defer s.norms.Put(n)
	var results []bulk.Result
	var rejected int64
	ids := newCreateIDs()
	for {
		it, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.stats.add(idn.AgencyID, ProtoBulk, 0, int64(len(results))+1, 0)
			bulkError(w, bodyStatus(err), err.Error())
			return
		}
		if it.Err != nil {
			rejected++
			results = append(results, bulk.Rejected(it))
			continue
		}
		if it.Action != bulk.ActionIndex && it.Action != bulk.ActionCreate {
			rejected++
			results = append(results, bulk.Failed(it, http.StatusBadRequest, bulk.ErrorCause{Type: "illegal_argument_exception",
				Reason: "kubu keeps an append-only event log: only index and create actions are accepted"}))
			continue
		}
		src := bytes.TrimSpace(it.Source)
		var obj []byte
		var host string
		var t time.Time
		ok := len(src) > 0 && src[0] == '{'
		if ok {
			obj, host, t, ok = n.Document(src)
		}
		if !ok {
			rejected++
			results = append(results, bulk.Failed(it, http.StatusBadRequest, bulk.ErrorCause{Type: "mapper_parsing_exception", Reason: "failed to parse: the document is not a JSON object"}))
			continue
		}
		m := Meta{Agency: idn.Agency, Source: "token:" + idn.TokenID, Protocol: ProtoBulk, Host: host, Received: start, Time: t}
		p.add(obj, &m)
		if p.lastSize() > s.opts.MaxEvent {
			p.undo()
			rejected++
			results = append(results, bulk.Failed(it, http.StatusRequestEntityTooLarge, bulk.ErrorCause{Type: "content_too_long_exception", Reason: "the document is larger than kubu stores"}))
			continue
		}
		ids.add(it)
		docID := it.ID
		if docID == "" {
			docID = newDocID()
		}
		results = append(results, bulk.Created(it, docID, int64(p.len()-1)))
	}
	if key == "" {
		key = ids.key()
	}
	p.key = scopedKey(idn.TokenID, ProtoBulk, key)
	if err := s.commit(r.Context(), p, idn.AgencyID, ProtoBulk); err != nil {
		w.Header().Set("Retry-After", "1")
		bulkError(w, http.StatusServiceUnavailable, "the event log did not store the events; retry")
		return
	}
	s.stats.add(idn.AgencyID, ProtoBulk, 0, rejected, 0)
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	writeJSON(w, http.StatusOK, bulk.NewResponse(s.now().Sub(start), results))
}

// newDocID makes an Elasticsearch-style generated document id.
func newDocID() string {
	var b [15]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
