/**
 * Records the store's OpenTelemetry spans in a test file: registers an
 * in-memory exporter as the global tracer provider before the file's tests
 * and takes it down after them.
 *
 * @module
 */

import { after, before } from 'node:test';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** The exporter holding every span finished while this file's tests run. */
export function recordSpans(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  before(() => {
    trace.setGlobalTracerProvider(provider);
  });
  after(async () => {
    await provider.shutdown();
    trace.disable();
  });
  return exporter;
}
