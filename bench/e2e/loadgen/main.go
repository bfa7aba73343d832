// Loadgen sends a member's submissions to the gateway, in a closed or an open loop, and
// writes one JSON line per request: when it was due, how long its answer took, its status
// and the thread reference the answer named.
//
// The benchmark (bench/e2e) runs it for every loop: a compiled generator takes a small
// share of the two cores the stack is measured on, where one in Python took about 3 ms of
// CPU per request (a third of a core at 100 requests a second). Its own CPU is still
// measured, and reported apart.
//
// It reads its plan as JSON on standard input:
//
//	{"url": "...", "headers": {...}, "body": "...", "mode": "open"|"closed",
//	 "rate": 100, "seconds": 30, "connections": 128}
//
// Closed: "connections" requests in flight, each sent again as soon as it is answered, for
// "seconds". Open: "rate" requests a second for "seconds", each due at its own moment
// whatever the answers (no coordinated omission); at most "connections" in flight, a
// request waiting for one counts that wait in its latency.
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

type plan struct {
	URL         string            `json:"url"`
	Headers     map[string]string `json:"headers"`
	Body        string            `json:"body"`
	Mode        string            `json:"mode"`
	Rate        float64           `json:"rate"`
	Seconds     float64           `json:"seconds"`
	Connections int               `json:"connections"`
}

type sample struct {
	SentAt    float64 `json:"sent_at"`
	Latency   float64 `json:"latency"`
	Status    int     `json:"status"`
	Reference *string `json:"reference"`
}

func idempotencyKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// send posts one submission; due is when it was meant to leave (its latency counts from
// then).
func send(client *http.Client, p *plan, due time.Time) sample {
	request, err := http.NewRequest(http.MethodPost, p.URL, bytes.NewReader([]byte(p.Body)))
	if err != nil {
		panic(err)
	}
	for name, value := range p.Headers {
		request.Header.Set(name, value)
	}
	request.Header.Set("Content-Type", "application/json")
	request.Header.Set("Idempotency-Key", idempotencyKey())
	response, err := client.Do(request)
	if err != nil {
		return sample{SentAt: unix(due), Latency: time.Since(due).Seconds()}
	}
	body, err := io.ReadAll(response.Body)
	response.Body.Close()
	latency := time.Since(due).Seconds()
	if err != nil {
		return sample{SentAt: unix(due), Latency: latency}
	}
	result := sample{SentAt: unix(due), Latency: latency, Status: response.StatusCode}
	if response.StatusCode < 300 {
		var answer struct {
			Reference *string `json:"reference"`
		}
		if json.Unmarshal(body, &answer) == nil {
			result.Reference = answer.Reference
		}
	}
	return result
}

func main() {
	var p plan
	if err := json.NewDecoder(os.Stdin).Decode(&p); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: a plan as JSON on standard input:", err)
		os.Exit(2)
	}
	if p.Connections < 1 {
		p.Connections = 1
	}
	client := &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        p.Connections,
			MaxIdleConnsPerHost: p.Connections,
			MaxConnsPerHost:     p.Connections,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	samples := make(chan sample, 1024)
	var written sync.WaitGroup
	written.Add(1)
	go func() {
		defer written.Done()
		out := bufio.NewWriter(os.Stdout)
		encoder := json.NewEncoder(out)
		for s := range samples {
			if err := encoder.Encode(s); err != nil {
				panic(err)
			}
		}
		out.Flush()
	}()
	duration := time.Duration(p.Seconds * float64(time.Second))
	var senders sync.WaitGroup
	switch p.Mode {
	case "closed":
		deadline := time.Now().Add(duration)
		for range p.Connections {
			senders.Add(1)
			go func() {
				defer senders.Done()
				for time.Now().Before(deadline) {
					samples <- send(client, &p, time.Now())
				}
			}()
		}
	case "open":
		count := int(p.Rate * p.Seconds)
		slots := make(chan struct{}, p.Connections)
		start := time.Now()
		for index := range count {
			due := start.Add(time.Duration(float64(index) / p.Rate * float64(time.Second)))
			if wait := time.Until(due); wait > 0 {
				time.Sleep(wait)
			}
			senders.Add(1)
			go func() {
				defer senders.Done()
				slots <- struct{}{}
				defer func() { <-slots }()
				samples <- send(client, &p, due)
			}()
		}
	default:
		fmt.Fprintln(os.Stderr, "loadgen: mode is open or closed, not", p.Mode)
		os.Exit(2)
	}
	senders.Wait()
	close(samples)
	written.Wait()
}
