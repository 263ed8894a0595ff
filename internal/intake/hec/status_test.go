package hec

import (
	"encoding/json"
	"testing"
)

// TestStatusTable pins Splunk's published HEC code table: code, text and
// HTTP status.
func TestStatusTable(t *testing.T) {
	want := []struct {
		code int
		text string
		http int
	}{
		{0, "Success", 200},
		{1, "Token disabled", 403},
		{2, "Token is required", 401},
		{3, "Invalid authorization", 401},
		{4, "Invalid token", 403},
		{5, "No data", 400},
		{6, "Invalid data format", 400},
		{7, "Incorrect index", 400},
		{8, "Internal server error", 500},
		{9, "Server is busy", 503},
		{10, "Data channel is missing", 400},
		{11, "Invalid data channel", 400},
		{12, "Event field is required", 400},
		{13, "Event field cannot be blank", 400},
		{14, "ACK is disabled", 400},
		{15, "Error in handling indexed fields", 400},
		{16, "Query string authorization is not enabled", 400},
		{17, "HEC is healthy", 200},
		{18, "HEC is unhealthy, queues are full", 503},
		{19, "HEC is unhealthy, ack service unavailable", 503},
		{20, "HEC is unhealthy, queues are full, ack service unavailable", 503},
	}
	if len(want) != len(statuses) {
		t.Fatalf("table has %d codes, test lists %d", len(statuses), len(want))
	}
	for _, w := range want {
		if got := StatusText(w.code); got != w.text {
			t.Errorf("StatusText(%d) = %q, want %q", w.code, got, w.text)
		}
		if got := HTTPStatus(w.code); got != w.http {
			t.Errorf("HTTPStatus(%d) = %d, want %d", w.code, got, w.http)
		}
	}
	if StatusText(99) != "" || HTTPStatus(99) != 500 || HTTPStatus(-1) != 500 {
		t.Errorf("unknown code: text %q status %d", StatusText(99), HTTPStatus(99))
	}
}

func TestResponseJSON(t *testing.T) {
	tests := []struct {
		name string
		r    Response
		want string
	}{
		{"success", Success(), `{"text":"Success","code":0}`},
		{"success with ack", SuccessAck(7), `{"text":"Success","code":0,"ackId":7}`},
		{"event error", (&Error{Code: CodeEventBlank, Event: 2}).Response(), `{"text":"Event field cannot be blank","code":13,"invalid-event-number":2}`},
		{"first event", (&Error{Code: CodeInvalidDataFormat, Event: 0}).Response(), `{"text":"Invalid data format","code":6,"invalid-event-number":0}`},
		{"request error", (&Error{Code: CodeNoData, Event: -1}).Response(), `{"text":"No data","code":5}`},
		{"health", NewResponse(CodeHealthy), `{"text":"HEC is healthy","code":17}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("JSON = %s, want %s", b, tt.want)
			}
		})
	}
}
