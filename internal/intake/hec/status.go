// Package hec decodes Splunk HTTP Event Collector request bodies — the
// /services/collector/event envelope stream, /services/collector/raw text
// and /services/collector/ack — and builds Splunk's answers, with Splunk's
// status codes, texts and HTTP statuses, so shippers configured for Splunk
// (Vector's splunk_hec_logs sink, Fluent Bit's splunk output, the
// OpenTelemetry Collector's splunk_hec exporter, Winlogbeat via Logstash)
// talk to kubu unchanged.
//
// The package holds no HTTP handler: the intake calls it with a body that
// is already size-limited and writes the Response it gets back.
package hec

import (
	"fmt"
	"net/http"
)

// Splunk HEC status codes, as published in Splunk's "Troubleshoot HTTP
// Event Collector" table. The text and HTTP status of each are in
// StatusText and HTTPStatus.
const (
	CodeSuccess                = 0
	CodeTokenDisabled          = 1
	CodeTokenRequired          = 2
	CodeInvalidAuthorization   = 3
	CodeInvalidToken           = 4
	CodeNoData                 = 5
	CodeInvalidDataFormat      = 6
	CodeIncorrectIndex         = 7
	CodeInternalError          = 8
	CodeServerBusy             = 9
	CodeChannelMissing         = 10
	CodeInvalidChannel         = 11
	CodeEventRequired          = 12
	CodeEventBlank             = 13
	CodeAckDisabled            = 14
	CodeIndexedFields          = 15
	CodeQueryStringAuthOff     = 16
	CodeHealthy                = 17
	CodeUnhealthyQueuesFull    = 18
	CodeUnhealthyAckUnavail    = 19
	CodeUnhealthyQueuesAndAcks = 20
)

type status struct {
	text string
	http int
}

// statuses is Splunk's table, indexed by code.
var statuses = [...]status{
	CodeSuccess:                {"Success", http.StatusOK},
	CodeTokenDisabled:          {"Token disabled", http.StatusForbidden},
	CodeTokenRequired:          {"Token is required", http.StatusUnauthorized},
	CodeInvalidAuthorization:   {"Invalid authorization", http.StatusUnauthorized},
	CodeInvalidToken:           {"Invalid token", http.StatusForbidden},
	CodeNoData:                 {"No data", http.StatusBadRequest},
	CodeInvalidDataFormat:      {"Invalid data format", http.StatusBadRequest},
	CodeIncorrectIndex:         {"Incorrect index", http.StatusBadRequest},
	CodeInternalError:          {"Internal server error", http.StatusInternalServerError},
	CodeServerBusy:             {"Server is busy", http.StatusServiceUnavailable},
	CodeChannelMissing:         {"Data channel is missing", http.StatusBadRequest},
	CodeInvalidChannel:         {"Invalid data channel", http.StatusBadRequest},
	CodeEventRequired:          {"Event field is required", http.StatusBadRequest},
	CodeEventBlank:             {"Event field cannot be blank", http.StatusBadRequest},
	CodeAckDisabled:            {"ACK is disabled", http.StatusBadRequest},
	CodeIndexedFields:          {"Error in handling indexed fields", http.StatusBadRequest},
	CodeQueryStringAuthOff:     {"Query string authorization is not enabled", http.StatusBadRequest},
	CodeHealthy:                {"HEC is healthy", http.StatusOK},
	CodeUnhealthyQueuesFull:    {"HEC is unhealthy, queues are full", http.StatusServiceUnavailable},
	CodeUnhealthyAckUnavail:    {"HEC is unhealthy, ack service unavailable", http.StatusServiceUnavailable},
	CodeUnhealthyQueuesAndAcks: {"HEC is unhealthy, queues are full, ack service unavailable", http.StatusServiceUnavailable},
}

// StatusText returns Splunk's text for code ("" for an unknown code).
func StatusText(code int) string {
	if code < 0 || code >= len(statuses) {
		return ""
	}
	return statuses[code].text
}

// HTTPStatus returns the HTTP status Splunk answers code with (500 for an
// unknown code).
func HTTPStatus(code int) int {
	if code < 0 || code >= len(statuses) {
		return http.StatusInternalServerError
	}
	return statuses[code].http
}

// Response is the JSON body HEC answers every request with:
// {"text":"Success","code":0}, {"text":"…","code":N,"invalid-event-number":i}
// or, with indexer acknowledgement, {"text":"Success","code":0,"ackId":7}.
type Response struct {
	Text string `json:"text"`
	Code int    `json:"code"`
	// InvalidEventNumber is the 0-based position of the rejected event.
	InvalidEventNumber *int    `json:"invalid-event-number,omitempty"`
	AckID              *uint64 `json:"ackId,omitempty"`
}

// NewResponse returns the response for code, with Splunk's text.
func NewResponse(code int) Response {
	return Response{Text: StatusText(code), Code: code}
}

// Success returns {"text":"Success","code":0}.
func Success() Response { return NewResponse(CodeSuccess) }

// SuccessAck returns the success answer carrying an acknowledgement id.
func SuccessAck(id uint64) Response {
	r := Success()
	r.AckID = &id
	return r
}

// HTTPStatus returns the HTTP status to send with r.
func (r Response) HTTPStatus() int { return HTTPStatus(r.Code) }

// Error is a rejected request: a Splunk code and, when one event caused it,
// that event's 0-based position in the body. Events before it decoded fine.
type Error struct {
	Code int
	// Event is the position of the offending event, or -1 when the request
	// as a whole is at fault (no data, bad query parameter).
	Event int
	// Detail says what was wrong, for logs; it is not sent to the client.
	Detail string
}

func (e *Error) Error() string {
	if e.Event >= 0 {
		return fmt.Sprintf("hec: %s (code %d) at event %d: %s", StatusText(e.Code), e.Code, e.Event, e.Detail)
	}
	return fmt.Sprintf("hec: %s (code %d): %s", StatusText(e.Code), e.Code, e.Detail)
}

// Response returns the body Splunk sends for e.
func (e *Error) Response() Response {
	r := NewResponse(e.Code)
	if e.Event >= 0 {
		n := e.Event
		r.InvalidEventNumber = &n
	}
	return r
}

func eventError(code, event int, format string, args ...any) *Error {
	return &Error{Code: code, Event: event, Detail: fmt.Sprintf(format, args...)}
}
