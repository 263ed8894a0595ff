// Package bulk decodes Elasticsearch _bulk request bodies (NDJSON pairs of
// action and document lines) as a stream, and builds Elasticsearch's answer:
// {"took":…,"errors":bool,"items":[…]} with one result per action, in
// Elasticsearch's shape, so Fluent Bit's es output, Vector's elasticsearch
// sink, Logstash and the Beats (Winlogbeat) ship to kubu unchanged.
//
// A bad line fails only its own item: the decoder reports it with an
// Elasticsearch-style error and goes on with the next action.
package bulk

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/valyala/fastjson"

	"github.com/kubu-gov/kubu/internal/jsonw"
)

// Action is a bulk operation.
type Action uint8

// Bulk actions. ActionUnknown marks an item whose action line could not be
// read; it is reported as "index" in the response, as Elasticsearch has no
// better name for it.
const (
	ActionUnknown Action = iota
	ActionIndex
	ActionCreate
	ActionUpdate
	ActionDelete
)

// String returns the action's name as used on the wire.
func (a Action) String() string {
	switch a {
	case ActionCreate:
		return "create"
	case ActionUpdate:
		return "update"
	case ActionDelete:
		return "delete"
	}
	return "index"
}

// ErrorCause is Elasticsearch's error object: {"type":…,"reason":…}.
type ErrorCause struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// ItemError is a decode failure for one item, with the HTTP status
// Elasticsearch gives such an item.
type ItemError struct {
	Status int
	Cause  ErrorCause
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("bulk item: %s: %s", e.Cause.Type, e.Cause.Reason)
}

// Item is one action with its document.
type Item struct {
	// Line is the 1-based line number of the action line in the body.
	Line   int
	Action Action
	Index  string // from the action, else the decoder's default index
	ID     string // "" when Elasticsearch would generate one
	// Routing and Pipeline are passed through from the action line.
	Routing  string
	Pipeline string
	// Source is the document line for index and create, and the whole
	// update body ({"doc":…}) for update; nil for delete.
	Source []byte
	// Doc is the "doc" object of an update, nil otherwise.
	Doc []byte
	// DocAsUpsert is the update body's doc_as_upsert flag.
	DocAsUpsert bool
	// Err is set when the item could not be decoded; it must be answered
	// with Err.Status and Err.Cause. Other fields hold what was readable.
	Err *ItemError
}

// Options configure a Decoder.
type Options struct {
	// DefaultIndex is the index from the URL (/{index}/_bulk).
	DefaultIndex string
	// MaxLine bounds one line; longer lines fail their item. 0 means 16 MiB.
	MaxLine int
}

// Decoder reads items from a bulk body one at a time; memory is bounded by
// the longest line.
type Decoder struct {
	r       *bufio.Reader
	opt     Options
	line    int
	p       fastjson.Parser
	pending []byte // a line read ahead and not yet used
	hasPend bool
	pendNo  int
	err     error
}

// NewDecoder returns a Decoder reading the body r.
func NewDecoder(r io.Reader, opt Options) *Decoder {
	if opt.MaxLine <= 0 {
		opt.MaxLine = 16 << 20
	}
	return &Decoder{r: bufio.NewReaderSize(r, 64<<10), opt: opt}
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next non-blank line (without LF or CR), its 1-based
// number, io.EOF at the end, errLineTooLong for a line over MaxLine (which
// is skipped), or a read error.
func (d *Decoder) readLine() ([]byte, int, error) {
	if d.hasPend {
		d.hasPend = false
		return d.pending, d.pendNo, nil
	}
	for {
		if d.err != nil {
			return nil, d.line, d.err
		}
		var buf []byte
		tooLong := false
		for {
			chunk, err := d.r.ReadSlice('\n')
			if !tooLong {
				if len(buf)+len(chunk) > d.opt.MaxLine+2 {
					tooLong, buf = true, nil
				} else {
					buf = append(buf, chunk...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				if err != io.EOF {
					d.err = fmt.Errorf("bulk: reading body: %w", err)
				} else {
					d.err = io.EOF
				}
				if len(chunk) == 0 && len(buf) == 0 && !tooLong {
					return nil, d.line, d.err
				}
			}
			break
		}
		d.line++
		if tooLong {
			return nil, d.line, errLineTooLong
		}
		buf = bytes.TrimRight(buf, "\r\n")
		if len(bytes.TrimSpace(buf)) == 0 {
			continue
		}
		if len(buf) > d.opt.MaxLine {
			return nil, d.line, errLineTooLong
		}
		return buf, d.line, nil
	}
}

func (d *Decoder) unread(line []byte, no int) {
	d.pending, d.pendNo, d.hasPend = line, no, true
}

// Next returns the next item, io.EOF after the last, or an error reading the
// body (which ends decoding). Problems with the body's content never end
// decoding: they come back as an Item with Err set.
func (d *Decoder) Next() (Item, error) {
	line, no, err := d.readLine()
	it := Item{Line: no}
	if err == errLineTooLong {
		it.Err = badRequest("illegal_argument_exception", fmt.Sprintf("action/metadata line [%d] is longer than %d bytes", no, d.opt.MaxLine))
		d.skipSourceIfNotAction()
		return it, nil
	}
	if err != nil {
		return it, err
	}
	if err := d.parseAction(line, &it); err != nil {
		it.Err = err
		d.skipSourceIfNotAction()
		return it, nil
	}
	if it.Action == ActionDelete {
		return it, nil
	}
	src, sno, err := d.readLine()
	switch {
	case err == errLineTooLong:
		it.Err = &ItemError{Status: 413, Cause: ErrorCause{"mapper_parsing_exception",
			fmt.Sprintf("failed to parse: document on line [%d] is longer than %d bytes", sno, d.opt.MaxLine)}}
		return it, nil
	case err == io.EOF:
		it.Err = badRequest("action_request_validation_exception",
			fmt.Sprintf("Validation Failed: 1: the %s action on line [%d] has no source line;", it.Action, no))
		return it, nil
	case err != nil:
		return it, err
	}
	if looksLikeAction(&d.p, src) {
		// The document is missing and the next action follows directly:
		// fail this item and keep that action for the next call.
		d.unread(src, sno)
		it.Err = badRequest("action_request_validation_exception",
			fmt.Sprintf("Validation Failed: 1: the %s action on line [%d] has no source line;", it.Action, no))
		return it, nil
	}
	it.Source = src
	if err := d.checkSource(&it); err != nil {
		it.Err = err
	}
	if it.Err == nil && it.Index == "" {
		it.Err = badRequest("action_request_validation_exception", "Validation Failed: 1: index is missing;")
	}
	return it, nil
}

func badRequest(typ, reason string) *ItemError {
	return &ItemError{Status: 400, Cause: ErrorCause{Type: typ, Reason: reason}}
}

// skipSourceIfNotAction is called after a bad action line: if the next line
// is not itself an action it is taken to be the failed item's document and
// dropped with it, so the pairing of the rest stays right.
func (d *Decoder) skipSourceIfNotAction() {
	next, no, err := d.readLine()
	if err != nil {
		return
	}
	if looksLikeAction(&d.p, next) {
		d.unread(next, no)
	}
}

// looksLikeAction reports whether line is a well-formed action line.
func looksLikeAction(p *fastjson.Parser, line []byte) bool {
	var it Item
	return parseActionWith(p, line, &it, "") == nil
}

func (d *Decoder) parseAction(line []byte, it *Item) *ItemError {
	return parseActionWith(&d.p, line, it, d.opt.DefaultIndex)
}

func parseActionWith(p *fastjson.Parser, line []byte, it *Item, defIndex string) *ItemError {
	err := fastjson.ValidateBytes(line) // the parser alone is lenient (00, NaN)
	var v *fastjson.Value
	if err == nil {
		v, err = p.ParseBytes(line)
	}
	if err != nil {
		return badRequest("x_content_parse_exception", fmt.Sprintf("Malformed action/metadata line [%d]: %v", it.Line, err))
	}
	o, err := v.Object()
	if err != nil {
		return badRequest("illegal_argument_exception",
			fmt.Sprintf("Malformed action/metadata line [%d], expected START_OBJECT but found [%s]", it.Line, v.Type()))
	}
	if o.Len() != 1 {
		return badRequest("illegal_argument_exception",
			fmt.Sprintf("Malformed action/metadata line [%d], expected a single action, found %d fields", it.Line, o.Len()))
	}
	var name []byte
	var meta *fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) { name, meta = k, v })
	switch string(name) {
	case "index":
		it.Action = ActionIndex
	case "create":
		it.Action = ActionCreate
	case "update":
		it.Action = ActionUpdate
	case "delete":
		it.Action = ActionDelete
	default:
		return badRequest("illegal_argument_exception",
			fmt.Sprintf("Malformed action/metadata line [%d], expected field [create], [delete], [index] or [update] but found [%s]", it.Line, name))
	}
	mo, err := meta.Object()
	if err != nil {
		return badRequest("illegal_argument_exception",
			fmt.Sprintf("Malformed action/metadata line [%d], expected START_OBJECT but found [%s]", it.Line, meta.Type()))
	}
	var perr *ItemError
	mo.Visit(func(k []byte, v *fastjson.Value) {
		var dst *string
		switch string(k) {
		case "_index":
			dst = &it.Index
		case "_id":
			dst = &it.ID
		case "routing":
			dst = &it.Routing
		case "pipeline":
			dst = &it.Pipeline
		default:
			return // other parameters (_type, require_alias, if_seq_no, …) are accepted and ignored
		}
		switch v.Type() {
		case fastjson.TypeString:
			*dst = string(v.GetStringBytes())
		case fastjson.TypeNumber:
			*dst = string(jsonw.AppendValue(nil, v)) // numeric ids are accepted by Elasticsearch
		case fastjson.TypeNull:
		default:
			if perr == nil {
				perr = badRequest("illegal_argument_exception",
					fmt.Sprintf("Malformed action/metadata line [%d], [%s] must be a string, found [%s]", it.Line, k, v.Type()))
			}
		}
	})
	if perr != nil {
		return perr
	}
	if it.Index == "" {
		it.Index = defIndex
	}
	if it.Action == ActionDelete && it.ID == "" {
		return badRequest("action_request_validation_exception", "Validation Failed: 1: id is missing;")
	}
	if it.Action == ActionUpdate && it.ID == "" {
		return badRequest("action_request_validation_exception", "Validation Failed: 1: id is missing;")
	}
	if it.Action == ActionDelete && it.Index == "" {
		return badRequest("action_request_validation_exception", "Validation Failed: 1: index is missing;")
	}
	return nil
}

// checkSource validates the document line and, for update, extracts doc.
func (d *Decoder) checkSource(it *Item) *ItemError {
	err := fastjson.ValidateBytes(it.Source) // the parser alone is lenient (00, NaN)
	var v *fastjson.Value
	if err == nil {
		v, err = d.p.ParseBytes(it.Source)
	}
	if err != nil {
		return badRequest("mapper_parsing_exception", fmt.Sprintf("failed to parse: line [%d]: %v", it.Line+1, err))
	}
	o, err := v.Object()
	if err != nil {
		return badRequest("mapper_parsing_exception",
			fmt.Sprintf("failed to parse: line [%d]: document must be a JSON object, found [%s]", it.Line+1, v.Type()))
	}
	if it.Action != ActionUpdate {
		return nil
	}
	doc := o.Get("doc")
	if doc != nil {
		if doc.Type() != fastjson.TypeObject {
			return badRequest("x_content_parse_exception", fmt.Sprintf("[%d] [UpdateRequest] failed to parse field [doc]", it.Line+1))
		}
		it.Doc = jsonw.AppendValue(nil, doc)
	}
	if u := o.Get("doc_as_upsert"); u != nil {
		it.DocAsUpsert = u.Type() == fastjson.TypeTrue
	}
	if doc == nil && o.Get("script") == nil && o.Get("upsert") == nil {
		return badRequest("action_request_validation_exception", "Validation Failed: 1: script or doc is missing;")
	}
	return nil
}
