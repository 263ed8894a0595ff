package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// MaxJSONBody is the largest JSON body the API accepts.
const MaxJSONBody = 1 << 20

// ErrorBody is the API's error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong.
type ErrorDetail struct {
	Code    string                `json:"code"`
	Message string                `json:"message"`
	Fields  []validate.FieldError `json:"fields,omitempty"`
}

// Status maps an error to an HTTP status and an API error detail.
func Status(err error) (int, ErrorDetail) {
	var v validate.Errors
	var mbe *http.MaxBytesError
	var bad *BadRequestError
	switch {
	case errors.Is(err, authz.ErrUnauthenticated):
		return http.StatusUnauthorized, ErrorDetail{Code: "unauthenticated", Message: "a valid token is required"}
	case errors.Is(err, authz.ErrNotFound):
		return http.StatusNotFound, ErrorDetail{Code: "not_found", Message: "not found"}
	case errors.Is(err, authz.ErrForbidden):
		return http.StatusForbidden, ErrorDetail{Code: "forbidden", Message: "you may not do that"}
	case errors.As(err, &v):
		return http.StatusBadRequest, ErrorDetail{Code: "invalid", Message: v.Error(), Fields: v}
	case errors.Is(err, validate.ErrConflict):
		return http.StatusConflict, ErrorDetail{Code: "conflict", Message: err.Error()}
	case errors.Is(err, store.ErrBadCursor):
		return http.StatusBadRequest, ErrorDetail{Code: "invalid_cursor", Message: "the cursor is not valid"}
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, ErrorDetail{Code: "too_large", Message: "the body is larger than " + strconv.FormatInt(mbe.Limit, 10) + " bytes"}
	case errors.As(err, &bad):
		return bad.Status, ErrorDetail{Code: bad.Code, Message: bad.Message}
	}
	return http.StatusInternalServerError, ErrorDetail{Code: "internal", Message: "something went wrong; it has been logged"}
}

// BadRequestError is a client error with its own status and code.
type BadRequestError struct {
	Status  int
	Code    string
	Message string
}

func (e *BadRequestError) Error() string { return e.Message }

// BadRequest returns a 400 error with a code and message.
func BadRequest(code, format string, args ...any) error {
	return &BadRequestError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// WriteError answers err as the API's JSON error.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, d := Status(err)
	if status == http.StatusInternalServerError {
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	WriteJSON(w, status, ErrorBody{Error: d})
}

// WriteJSON answers v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// DecodeJSON reads a JSON body into v strictly: a JSON (or plain)
// content type, unknown fields and trailing data are errors, and bodies over
// MaxJSONBody answer 413.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		// Bearer tokens carry no ambient authority, so the content type is
		// not a CSRF defence here; accept what clients commonly send for a
		// JSON body (curl -d sends form-urlencoded) and refuse the rest.
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/plain" || mt == "application/x-www-form-urlencoded") {
			return &BadRequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send application/json"}
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.As(err, &se):
			return BadRequest("bad_json", "malformed JSON at byte %d", se.Offset)
		case errors.As(err, &te):
			return BadRequest("bad_json", "field %q must be %s, not %s", te.Field, te.Type.String(), te.Value)
		case errors.Is(err, io.EOF):
			return BadRequest("bad_json", "the body is empty")
		}
		return BadRequest("bad_json", "%s", err.Error())
	}
	if dec.More() {
		return BadRequest("bad_json", "unexpected data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return BadRequest("bad_json", "unexpected data after the JSON value")
	}
	return nil
}
