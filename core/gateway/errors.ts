import { SluiceError } from '../errors.js';

/**
 * What the gateway answers when it cannot hand back predictions. The 5xx ones are the honest
 * states of the serving side (nothing serving, the model server down, slow, failing or answering
 * something that is not predictions); the 4xx ones are the model server refusing the input.
 */
export class GatewayError extends SluiceError {}

/** 503: the deployment exists but no instance has a share of the traffic. */
export class NotServingError extends GatewayError {
  constructor(deployment: string) {
    super(
      'not-serving',
      503,
      `deployment "${deployment}" has no model server with a share of the traffic (nothing is serving it right now)`,
    );
  }
}

/** 502: connection refused or reset, timeout, a 5xx, or an answer that is not predictions. */
export class UpstreamError extends GatewayError {
  constructor(
    slug: 'upstream-unavailable' | 'upstream-timeout' | 'upstream-failed' | 'upstream-bad-answer',
    detail: string,
  ) {
    super(slug, 502, detail);
  }
}

/** 400/422: the model server refused these rows; its reason (shortened, sanitised) is passed on. */
export class UpstreamRejectedError extends GatewayError {
  constructor(status: 400 | 422, detail: string) {
    super('model-rejected-input', status, detail, [{ path: 'body.rows', message: detail }]);
  }
}
