import { z } from 'zod';

/** The standard OTEL_TRACES_SAMPLER values (the SDK's "jaeger_remote" and "xray" are not offered). */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** Tracing as the OpenTelemetry environment variables configure it; absent when no OTLP endpoint is set. */
export interface TracingConfig {
  /** Where spans are POSTed (OTLP/HTTP): the traces endpoint as given, or the base endpoint + /v1/traces. */
  tracesUrl: string;
  /** OTEL_SERVICE_NAME; unset: the process' own name (sluice-api, sluice-worker, sluice). */
  serviceName?: string;
  sampler: (typeof SAMPLERS)[number];
  /** For the ratio samplers (OTEL_TRACES_SAMPLER_ARG), 0..1. */
  samplerRatio: number;
}

const url = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

/** The OTEL_* variables Sluice reads itself (the exporter also honours OTEL_EXPORTER_OTLP_HEADERS and OTEL_BSP_*). */
export const otelEnvSchema = z.object({
  OTEL_SDK_DISABLED: z.stringbool().default(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url.optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
});

/** Turns parsed OTEL_* values into a TracingConfig, or undefined when tracing is off (no endpoint, or disabled). */
export function tracingConfig(e: z.infer<typeof otelEnvSchema>): TracingConfig | undefined {
  if (e.OTEL_SDK_DISABLED) return undefined;
  const tracesUrl =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (e.OTEL_EXPORTER_OTLP_ENDPOINT && `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`);
  if (!tracesUrl) return undefined;
  return {
    tracesUrl,
    ...(e.OTEL_SERVICE_NAME ? { serviceName: e.OTEL_SERVICE_NAME } : {}),
    sampler: e.OTEL_TRACES_SAMPLER,
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG,
  };
}
