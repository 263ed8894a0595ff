package bulk

import (
	"encoding/json"
	"testing"
	"time"
)

func TestResponseJSON(t *testing.T) {
	ok := Created(Item{Action: ActionCreate, Index: "logs"}, "abc", 5)
	bad := Rejected(Item{Action: ActionIndex, Index: "logs", Err: badRequest("mapper_parsing_exception", `failed to parse: "x"`)})
	del := Failed(Item{Action: ActionDelete, Index: "logs", ID: "9"}, 405, ErrorCause{"illegal_argument_exception", "kubu keeps events: delete is refused"})
	tests := []struct {
		name string
		r    Response
		want string
	}{
		{"all created", NewResponse(12*time.Millisecond, []Result{ok}),
			`{"took":12,"errors":false,"items":[{"create":{"_index":"logs","_id":"abc","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":5,"_primary_term":1,"status":201}}]}`},
		{"one failed", NewResponse(3*time.Millisecond, []Result{ok, bad, del}),
			`{"took":3,"errors":true,"items":[{"create":{"_index":"logs","_id":"abc","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":5,"_primary_term":1,"status":201}},` +
				`{"index":{"_index":"logs","_id":null,"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse: \"x\""}}},` +
				`{"delete":{"_index":"logs","_id":"9","status":405,"error":{"type":"illegal_argument_exception","reason":"kubu keeps events: delete is refused"}}}]}`},
		{"no items", NewResponse(0, nil), `{"took":0,"errors":false,"items":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("JSON =\n%s\nwant\n%s", b, tt.want)
			}
		})
	}
}
