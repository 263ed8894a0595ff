package intake

import (
	"github.com/kubu-gov/kubu/internal/jsonw"

	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/kubu-gov/kubu/internal/intake/otlp"
)

// otlpProto reports whether the request speaks protobuf (else JSON).
func otlpProto(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-protobuf" || mt == "application/protobuf"
}

// otlpError answers with a google.rpc.Status in the request's encoding, as
// OTLP/HTTP asks.
func otlpError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	code := 3 // INVALID_ARGUMENT
	switch status {
	case http.StatusUnauthorized:
		code = 16 // UNAUTHENTICATED
	case http.StatusTooManyRequests:
		code = 8 // RESOURCE_EXHAUSTED
	case http.StatusServiceUnavailable:
		code = 14 // UNAVAILABLE
	case http.StatusInternalServerError:
		code = 13 // INTERNAL
	}
	if otlpProto(r) {
		var b []byte
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(code))
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, msg)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(status)
		w.Write(b)
		return
	}
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}

// OTLPLogs serves POST /v1/logs: an OTLP ExportLogsServiceRequest in
// protobuf or JSON. Records with bad fields are refused alone (partial
// success); the rest are stored.
func (s *Service) OTLPLogs(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	idn, ok := s.identify(w, r, ProtoOTLP)
	if !ok {
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isProto := otlpProto(r)
	if !isProto && mt != "application/json" {
		otlpError(w, r, http.StatusUnsupportedMediaType, "send application/x-protobuf or application/json")
		return
	}
	body, err := readBody(r, s.opts.MaxBody)
	if err != nil {
		s.stats.add(idn.AgencyID, ProtoOTLP, 0, 1, 0)
		otlpError(w, r, bodyStatus(err), err.Error())
		return
	}
	defer putBody(body)
	var batch *otlp.Batch
	if isProto {
		batch, err = otlp.DecodeProto(body.Bytes())
	} else {
		batch, err = otlp.DecodeJSON(body.Bytes())
	}
	if err != nil {
		s.stats.add(idn.AgencyID, ProtoOTLP, 0, 1, 0)
		otlpError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	key, err := idempotencyHeader(r)
	if err != nil {
		s.stats.add(idn.AgencyID, ProtoOTLP, 0, 1, 0)
		otlpError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	p := s.bufs.Get().(*pending)
	defer s.bufs.Put(p)
	p.reset(idn.Agency)
	p.key = scopedKey(idn.TokenID, ProtoOTLP, key)
	n := s.norms.Get().(*normaliser)
	defer s.norms.Put(n)
	received := s.now()
	tooLarge := 0
	for i := range batch.Records {
		rec := &batch.Records[i]
		obj := n.otlpObject(rec)
		m := Meta{Agency: idn.Agency, Source: "token:" + idn.TokenID, Protocol: ProtoOTLP, Host: rec.HostName, Received: received, Time: rec.Time}
		if m.Time.IsZero() {
			m.Time = rec.ObservedTime
		}
		p.add(obj, &m)
		if p.lastSize() > s.opts.MaxEvent {
			p.undo()
			tooLarge++
			batch.Rejected = append(batch.Rejected, otlp.Rejection{Index: i, Reason: "log record larger than kubu stores"})
		}
	}
	if err := s.commit(r.Context(), p, idn.AgencyID, ProtoOTLP); err != nil {
		w.Header().Set("Retry-After", "1")
		otlpError(w, r, http.StatusServiceUnavailable, "the event log did not store the records; retry")
		return
	}
	s.stats.add(idn.AgencyID, ProtoOTLP, 0, int64(len(batch.Rejected)), 0)
	resp := batch.Response()
	if isProto {
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
		w.Write(resp.MarshalProto())
		return
	}
	b, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// otlpObject builds the stored object of one log record: its attributes
// as top-level fields, the body as "message" (a string) or "body" (any
// other value), severity, resource attributes under "resource", scope,
// trace context.
func (n *normaliser) otlpObject(rec *otlp.Record) []byte {
	b := append(n.tmp[:0], '{')
	sep := func() {
		if len(b) > 1 {
			b = append(b, ',')
		}
	}
	if attrs := bytes.TrimSpace(rec.Attributes); len(attrs) > 2 && attrs[0] == '{' {
		if inner := bytes.TrimSpace(attrs[1 : len(attrs)-1]); len(inner) > 0 {
			b = append(b, inner...)
		}
	}
	str := func(k, v string) {
		if v == "" {
			return
		}
		sep()
		b = jsonw.AppendString(b, k)
		b = append(b, ':')
		b = jsonw.AppendString(b, v)
	}
	if rec.BodyJSON {
		sep()
		b = append(b, `"body":`...)
		b = append(b, rec.Body...)
	} else {
		str("message", rec.Body)
	}
	str("severity_text", rec.SeverityText)
	if rec.SeverityNumber != 0 {
		sep()
		b = append(b, `"severity_number":`...)
		b = strconv.AppendInt(b, int64(rec.SeverityNumber), 10)
	}
	if res := bytes.TrimSpace(rec.Resource); len(res) > 0 {
		sep()
		b = append(b, `"resource":`...)
		b = append(b, res...)
	}
	str("service.name", rec.ServiceName)
	str("host.name", rec.HostName)
	str("scope.name", rec.ScopeName)
	str("event_name", rec.EventName)
	str("trace_id", rec.TraceID)
	str("span_id", rec.SpanID)
	b = append(b, '}')
	n.tmp = b
	return b
}
