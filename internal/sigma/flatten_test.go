package sigma

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// flattenEvtxJSON turns one evtx_dump-style nested event ({"Event":{
// "System":…,"EventData":…}}) into the flat form the engine matches on.
// Test-only stand-in until internal/evtx provides FlattenJSON.
func flattenEvtxJSON(nested []byte) ([]byte, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(nested))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	ev, ok := doc["Event"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no Event object")
	}
	flat := map[string]any{}
	if sys, ok := ev["System"].(map[string]any); ok {
		for k, v := range sys {
			switch x := v.(type) {
			case map[string]any:
				if t, ok := x["#text"]; ok {
					flat[k] = t
				}
				if attrs, ok := x["#attributes"].(map[string]any); ok {
					for ak, av := range attrs {
						if k == "TimeCreated" && ak == "SystemTime" {
							flat["TimeCreated"] = av
							continue
						}
						flat[k+"_"+ak] = av
					}
				}
			default:
				flat[k] = v
			}
		}
	}
	for _, sec := range []string{"EventData", "UserData"} {
		if d, ok := ev[sec].(map[string]any); ok {
			flattenLeaves(d, flat)
		}
	}
	return json.Marshal(flat)
}

func flattenLeaves(m map[string]any, out map[string]any) {
	for k, v := range m {
		if k == "#attributes" {
			continue
		}
		if sub, ok := v.(map[string]any); ok {
			if t, ok := sub["#text"]; ok {
				out[k] = t
				continue
			}
			flattenLeaves(sub, out)
			continue
		}
		out[k] = v
	}
}

// readConcatenatedJSON splits a file of concatenated JSON documents.
func readConcatenatedJSON(data []byte) ([][]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var out [][]byte
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
}
