// Package scim disables and re-enables accounts at an identity provider
// through SCIM 2.0 (RFC 7644): PATCH /Users/{id} with a PatchOp that
// replaces "active". It is the account connector of containment: a block
// of an account sends active:false, its revocation or expiry active:true.
//
// The package has no dependency on the rest of kubu.
package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MediaType is SCIM's media type.
const MediaType = "application/scim+json"

// PatchOpSchema and ErrorSchema are SCIM message schemas.
const (
	PatchOpSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	ErrorSchema   = "urn:ietf:params:scim:api:messages:2.0:Error"
	ListSchema    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
)

// Client talks to one SCIM service provider.
type Client struct {
	// BaseURL is the SCIM root, e.g. https://idp.example.gov/scim/v2.
	BaseURL string
	// Token is the bearer token of the connector.
	Token string
	// HTTP defaults to a client with Timeout.
	HTTP *http.Client
	// Timeout bounds each call when HTTP is nil (default 15 s).
	Timeout time.Duration
}

// Error is a call that did not succeed, with what the provider said.
type Error struct {
	Op       string // "PATCH /Users/abc"
	Status   int    // HTTP status, 0 for a network error
	SCIMType string // e.g. "invalidValue", "mutability"
	Detail   string
	Err      error // the network or decoding error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("scim: ")
	b.WriteString(e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
		switch e.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			b.WriteString(" (the connector's token was refused)")
		case http.StatusNotFound:
			b.WriteString(" (no such user at the provider)")
		}
	}
	if e.SCIMType != "" {
		b.WriteString(" [" + e.SCIMType + "]")
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNotFound matches (errors.Is) an Error with status 404.
var ErrNotFound = errors.New("scim: not found")

// Is makes errors.Is(err, ErrNotFound) work.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// User is the part of a SCIM User kubu reads.
type User struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Active   *bool  `json:"active"`
}

// SetActive sets the user's "active" attribute. A 200 answer that shows
// the user with another value of active is an error; 204 is success.
func (c *Client) SetActive(ctx context.Context, userID string, active bool) error {
	if userID == "" {
		return errors.New("scim: empty user id")
	}
	body, _ := json.Marshal(map[string]any{
		"schemas":    []string{PatchOpSchema},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]bool{"active": active}}},
	})
	path := "/Users/" + url.PathEscape(userID)
	var u User
	status, err := c.do(ctx, http.MethodPatch, path, nil, body, &u)
	if err != nil {
		return err
	}
	if status == http.StatusOK && u.Active != nil && *u.Active != active {
		return &Error{Op: "PATCH " + path, Status: status, Detail: fmt.Sprintf("the provider answered with active=%v", *u.Active)}
	}
	return nil
}

// Disable sets active:false.
func (c *Client) Disable(ctx context.Context, userID string) error {
	return c.SetActive(ctx, userID, false)
}

// Enable sets active:true.
func (c *Client) Enable(ctx context.Context, userID string) error {
	return c.SetActive(ctx, userID, true)
}

// FindUser looks a user up by userName (GET /Users?filter=userName eq
// "…"); ErrNotFound when there is none, an error when there are several.
func (c *Client) FindUser(ctx context.Context, userName string) (*User, error) {
	q := url.Values{"filter": {`userName eq "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(userName) + `"`}}
	var list struct {
		TotalResults int    `json:"totalResults"`
		Resources    []User `json:"Resources"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/Users", q, nil, &list); err != nil {
		return nil, err
	}
	switch len(list.Resources) {
	case 0:
		return nil, &Error{Op: "GET /Users", Status: http.StatusNotFound, Detail: fmt.Sprintf("no user named %q", userName)}
	case 1:
		if list.Resources[0].ID == "" {
			return nil, &Error{Op: "GET /Users", Detail: "the user has no id"}
		}
		return &list.Resources[0], nil
	}
	return nil, &Error{Op: "GET /Users", Detail: fmt.Sprintf("%d users named %q", len(list.Resources), userName)}
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte, out any) (int, error) {
	op := method + " " + path
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, &Error{Op: op, Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", MediaType)
	}
	req.Header.Set("Accept", MediaType+", application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTP
	if hc == nil {
		t := c.Timeout
		if t <= 0 {
			t = 15 * time.Second
		}
		hc = &http.Client{Timeout: t}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, &Error{Op: op, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, &Error{Op: op, Status: resp.StatusCode, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Op: op, Status: resp.StatusCode}
		var se struct {
			SCIMType string `json:"scimType"`
			Detail   string `json:"detail"`
		}
		if json.Unmarshal(data, &se) == nil {
			e.SCIMType, e.Detail = se.SCIMType, se.Detail
		} else if s := strings.TrimSpace(string(data)); s != "" {
			if len(s) > 200 {
				s = s[:200] + "…"
			}
			e.Detail = strings.ToValidUTF8(s, "?")
		}
		return resp.StatusCode, e
	}
	if out != nil && resp.StatusCode != http.StatusNoContent && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, &Error{Op: op, Status: resp.StatusCode, Err: fmt.Errorf("answer is not SCIM JSON: %w", err)}
		}
	}
	return resp.StatusCode, nil
}
