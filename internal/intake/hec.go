package intake

import (
	"github.com/kubu-gov/kubu/internal/event"

	"github.com/kubu-gov/kubu/internal/jsonw"

	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/valyala/fastjson"

	"github.com/kubu-gov/kubu/internal/intake/hec"
)

// writeHEC answers with a HEC response and its HTTP status.
func writeHEC(w http.ResponseWriter, resp hec.Response) {
	writeJSON(w, resp.HTTPStatus(), resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// hecChannel returns the request's acknowledgement channel ("" when none)
// and false when it is not a GUID (answered with code 11).
func hecChannel(w http.ResponseWriter, r *http.Request) (string, bool) {
	ch := r.Header.Get("X-Splunk-Request-Channel")
	if ch == "" {
		ch = r.URL.Query().Get("channel")
	}
	if ch != "" && !validChannel(ch) {
		writeHEC(w, hec.NewResponse(hec.CodeInvalidChannel))
		return "", false
	}
	return ch, true
}

// HECEvent serves POST /services/collector/event: concatenated JSON
// envelopes. Events before a bad envelope are kept, as Splunk does.
func (s *Service) HECEvent(w http.ResponseWriter, r *http.Request) { s.hec(w, r, false) }

// HECRaw serves POST /services/collector/raw: one event per line.
func (s *Service) HECRaw(w http.ResponseWriter, r *http.Request) { s.hec(w, r, true) }

func (s *Service) hec(w http.ResponseWriter, r *http.Request, raw bool) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	idn, ok := s.identify(w, r, ProtoHEC)
	if !ok {
		return
	}
	channel, ok := hecChannel(w, r)
	if !ok {
		return
	}
	key, err := idempotencyHeader(r)
	if err != nil {
		s.stats.add(idn.AgencyID, ProtoHEC, 0, 1, 0)
		writeJSON(w, http.StatusBadRequest, map[string]any{"text": "Invalid data format: " + err.Error(), "code": hec.CodeInvalidDataFormat})
		return
	}
	if key != "" {
		key = scopedKey(idn.TokenID, ProtoHEC, channel+"/"+key)
	}
	defaults, err := hec.ParseQuery(r.URL.Query())
	if err != nil {
		s.stats.add(idn.AgencyID, ProtoHEC, 0, 1, 0)
		writeHECErr(w, err)
		return
	}
	body, err := readBody(r, s.opts.MaxBody)
	if err != nil {
		s.stats.add(idn.AgencyID, ProtoHEC, 0, 1, 0)
		refuse(w, r, ProtoHEC, bodyStatus(err), err.Error())
		return
	}
	defer putBody(body)
	var events []hec.Event
	var derr error
	if raw {
		events, derr = hec.DecodeRaw(body.Bytes(), defaults)
	} else {
		var d hec.Decoder
		events, derr = d.DecodeEvents(body.Bytes(), defaults)
	}
	p := s.bufs.Get().(*pending)
	defer s.bufs.Put(p)
	p.reset(idn.Agency)
	p.key = key
	n := s.norms.Get().(*normaliser)
	defer s.norms.Put(n)
	received := s.now()
	for i := range events {
		ev := &events[i]
		m := Meta{Agency: idn.Agency, Source: "token:" + idn.TokenID, Protocol: ProtoHEC, Host: ev.Host, Received: received, Time: ev.Time}
		obj := n.hecObject(ev, &m)
		if obj == nil || len(obj) > s.opts.MaxEvent {
			// An event kubu cannot store ends the request like a bad
			// envelope; the events before it are kept.
			events = events[:i]
			derr = &hec.Error{Code: hec.CodeInvalidDataFormat, Event: i, Detail: "event too large or not JSON"}
			break
		}
		p.add(obj, &m)
	}
	rejected := int64(0)
	if derr != nil {
		rejected = 1
	}
	if err := s.commit(r.Context(), p, idn.AgencyID, ProtoHEC); err != nil {
		writeHEC(w, hec.NewResponse(hec.CodeServerBusy))
		return
	}
	s.stats.add(idn.AgencyID, ProtoHEC, 0, rejected, 0)
	if derr != nil {
		writeHECErr(w, derr)
		return
	}
	if channel != "" {
		id, err := s.acks.durable(r.Context(), idn.TokenID, channel, received)
		if err != nil {
			// Stored and counted, but no ack id to give: the shipper
			// retries (with an idempotency key, storing nothing twice).
			s.log.Error("intake: HEC ack id not recorded; answering busy", "err", err)
			writeHEC(w, hec.NewResponse(hec.CodeServerBusy))
			return
		}
		writeHEC(w, hec.SuccessAck(id))
		return
	}
	writeHEC(w, hec.Success())
}

func writeHECErr(w http.ResponseWriter, err error) {
	var he *hec.Error
	if errors.As(err, &he) {
		writeHEC(w, he.Response())
		return
	}
	writeHEC(w, hec.NewResponse(hec.CodeInvalidDataFormat))
}

// hecObject builds the stored object of one HEC event: the event's JSON
// normalised (a string event becomes {"message":…}; a JSON line sent to
// /raw is taken as JSON), with the envelope's source, sourcetype, index
// and indexed fields added where the event has no field of that name. It
// fills in m.Host and m.Time from the event when the envelope gave none.
func (n *normaliser) hecObject(ev *hec.Event, m *Meta) []byte {
	var obj []byte
	doc := ev.JSON
	if doc == nil && len(ev.Text) > 1 && ev.Text[0] == '{' && fastjson.Validate(ev.Text) == nil {
		doc = []byte(ev.Text)
	}
	if doc != nil {
		o, host, t, ok := n.Document(doc)
		if !ok {
			return nil
		}
		obj = o
		if m.Host == "" {
			m.Host = host
		}
		if m.Time.IsZero() {
			m.Time = t
		}
	} else {
		n.tmp = append(n.tmp[:0], `{"message":`...)
		n.tmp = jsonw.AppendString(n.tmp, ev.Text)
		n.tmp = append(n.tmp, '}')
		obj = n.tmp
	}
	extra := [][2]string{{"source", ev.Source}, {"sourcetype", ev.SourceType}, {"index", ev.Index}}
	if ev.Source == "" && ev.SourceType == "" && ev.Index == "" && len(ev.Fields) == 0 {
		return obj
	}
	v, err := n.p.ParseBytes(obj)
	if err != nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	// Open the object again: drop exactly its own closing brace (a nested
	// object's braces before it are the event's data), then add members.
	body := bytes.TrimSpace(obj)
	out := append(n.flat[:0], body[:len(body)-1]...) // obj is never n.flat
	first := v.GetObject().Len() == 0
	var added []string
	addMember := func(name string, value func([]byte) []byte) {
		if name == "" || name == event.MetaKey || v.Get(name) != nil || slices.Contains(added, name) {
			return
		}
		added = append(added, name)
		if !first {
			out = append(out, ',')
		}
		first = false
		out = jsonw.AppendString(out, name)
		out = append(out, ':')
		out = value(out)
	}
	for _, kv := range extra {
		if kv[1] != "" {
			addMember(kv[0], func(b []byte) []byte { return jsonw.AppendString(b, kv[1]) })
		}
	}
	for _, f := range ev.Fields {
		addMember(f.Name, func(b []byte) []byte {
			if len(f.Values) == 1 {
				return jsonw.AppendString(b, f.Values[0])
			}
			b = append(b, '[')
			for i, x := range f.Values {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsonw.AppendString(b, x)
			}
			return append(b, ']')
		})
	}
	n.flat = append(out, '}')
	return n.flat
}

// HECHealth serves GET /services/collector/health: healthy while the event
// log answers.
func (s *Service) HECHealth(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.identify(w, r, ProtoHEC); !ok {
		return
	}
	log := s.eventLog()
	if log == nil || s.draining.Load() || s.press.busy.Load() || log.Health(r.Context()) != nil {
		writeHEC(w, hec.NewResponse(hec.CodeUnhealthyQueuesFull))
		return
	}
	writeHEC(w, hec.NewResponse(hec.CodeHealthy))
}

// HECAck serves POST /services/collector/ack: which of a channel's ack ids
// are durable.
func (s *Service) HECAck(w http.ResponseWriter, r *http.Request) {
	idn, ok := s.identify(w, r, ProtoHEC)
	if !ok {
		return
	}
	channel, ok := hecChannel(w, r)
	if !ok {
		return
	}
	if channel == "" {
		writeHEC(w, hec.NewResponse(hec.CodeChannelMissing))
		return
	}
	body, err := readBody(r, 1<<20)
	if err != nil {
		refuse(w, r, ProtoHEC, bodyStatus(err), err.Error())
		return
	}
	defer putBody(body)
	ids, err := hec.DecodeAckRequest(body.Bytes())
	if err != nil {
		writeHECErr(w, err)
		return
	}
	acks, err := s.acks.query(r.Context(), idn.TokenID, channel, ids, s.now())
	if err != nil {
		s.log.Error("intake: HEC ack query", "err", err)
		writeHEC(w, hec.NewResponse(hec.CodeServerBusy))
		return
	}
	writeJSON(w, http.StatusOK, hec.AckResponse{Acks: acks})
}
