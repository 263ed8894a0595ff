package bulk

import (
	"strconv"
	"time"

	"github.com/kubu-gov/kubu/internal/jsonw"
)

// Result is one entry of the response's "items": the outcome of one action.
type Result struct {
	Action Action
	Index  string
	ID     string
	Status int
	// Result is "created", "updated", "deleted", "noop" or "not_found" for
	// a success; empty when Error is set.
	Result      string
	Version     int64
	SeqNo       int64
	PrimaryTerm int64
	Error       *ErrorCause
}

// Created is the result Elasticsearch gives an index or create action that
// stored a new document: status 201, "created", version 1.
func Created(it Item, id string, seqNo int64) Result {
	return Result{Action: it.Action, Index: it.Index, ID: id, Status: 201, Result: "created",
		Version: 1, SeqNo: seqNo, PrimaryTerm: 1}
}

// Failed is the result for an item that was not stored.
func Failed(it Item, status int, cause ErrorCause) Result {
	return Result{Action: it.Action, Index: it.Index, ID: it.ID, Status: status, Error: &cause}
}

// Rejected is the result for an item that failed decoding (it.Err set).
func Rejected(it Item) Result {
	if it.Err == nil {
		return Failed(it, 500, ErrorCause{Type: "exception", Reason: "item has no decode error"})
	}
	return Failed(it, it.Err.Status, it.Err.Cause)
}

// MarshalJSON encodes r as Elasticsearch does, keyed by its action:
//
//	{"create":{"_index":"logs","_id":"x","_version":1,"result":"created",
//	  "_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,
//	  "_primary_term":1,"status":201}}
//	{"index":{"_index":"logs","_id":null,"status":400,
//	  "error":{"type":"mapper_parsing_exception","reason":"…"}}}
func (r Result) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 192)
	b = append(b, `{"`...)
	b = append(b, r.Action.String()...)
	b = append(b, `":{"_index":`...)
	b = jsonw.AppendString(b, r.Index)
	b = append(b, `,"_id":`...)
	if r.ID == "" {
		b = append(b, "null"...)
	} else {
		b = jsonw.AppendString(b, r.ID)
	}
	if r.Error == nil {
		b = append(b, `,"_version":`...)
		b = strconv.AppendInt(b, r.Version, 10)
		b = append(b, `,"result":`...)
		b = jsonw.AppendString(b, r.Result)
		b = append(b, `,"_shards":{"total":1,"successful":1,"failed":0},"_seq_no":`...)
		b = strconv.AppendInt(b, r.SeqNo, 10)
		b = append(b, `,"_primary_term":`...)
		b = strconv.AppendInt(b, r.PrimaryTerm, 10)
	}
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	if r.Error != nil {
		b = append(b, `,"error":{"type":`...)
		b = jsonw.AppendString(b, r.Error.Type)
		b = append(b, `,"reason":`...)
		b = jsonw.AppendString(b, r.Error.Reason)
		b = append(b, '}')
	}
	b = append(b, "}}"...)
	return b, nil
}

// Response is the body of a _bulk answer.
type Response struct {
	Took   int64    `json:"took"`
	Errors bool     `json:"errors"`
	Items  []Result `json:"items"`
}

// NewResponse builds the answer from the results in request order; Errors
// is true when any item failed.
func NewResponse(took time.Duration, items []Result) Response {
	r := Response{Took: took.Milliseconds(), Items: items}
	if r.Items == nil {
		r.Items = []Result{}
	}
	for _, it := range items {
		if it.Error != nil || it.Status >= 300 {
			r.Errors = true
			break
		}
	}
	return r
}
