/**
 * MGN's modeled exceptions as the emulator puts them on the wire (reference/mgn-api.md section 2):
 * always `x-amzn-ErrorType`, the modeled HTTP status, and a JSON body with `message`, `code` and the
 * exception's own members.
 */
export type MgnErrorType =
  | 'ValidationException'
  | 'UninitializedAccountException'
  | 'AccessDeniedException'
  | 'ResourceNotFoundException'
  | 'ConflictException'
  | 'ServiceQuotaExceededException'
  | 'ThrottlingException'
  | 'InternalServerException';

export const ERROR_STATUS: Record<MgnErrorType, number> = {
  ValidationException: 400,
  UninitializedAccountException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ServiceQuotaExceededException: 402,
  ThrottlingException: 429,
  InternalServerException: 500,
};

export class MgnError extends Error {
  readonly status: number;
  constructor(
    readonly type: MgnErrorType,
    message: string,
    readonly body: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = type;
    this.status = ERROR_STATUS[type];
  }

  toBody(): Record<string, unknown> {
    return { message: this.message, ...this.body };
  }
}

export type ResourceType =
  | 'SOURCE_SERVER'
  | 'JOB'
  | 'WAVE'
  | 'APPLICATION'
  | 'LAUNCH_CONFIGURATION_TEMPLATE'
  | 'REPLICATION_CONFIGURATION_TEMPLATE'
  | 'SOURCE_SERVER_ACTION'
  | 'RESOURCE';

export const notFound = (resourceType: ResourceType, resourceId: string, what = 'Resource'): MgnError =>
  new MgnError('ResourceNotFoundException', `${what} ${resourceId} not found`, {
    code: 'RESOURCE_NOT_FOUND',
    resourceId,
    resourceType,
  });

export interface ConflictItem {
  resourceId: string;
  message: string;
  code: string;
}

export const conflict = (
  message: string,
  code: string,
  resourceId?: string,
  resourceType: ResourceType = 'SOURCE_SERVER',
  errors: ConflictItem[] = [],
): MgnError =>
  new MgnError('ConflictException', message, {
    code,
    ...(resourceId ? { resourceId, resourceType } : {}),
    ...(errors.length
      ? { errors: errors.map((e) => ({ message: e.message, code: e.code, resourceId: e.resourceId, resourceType })) }
      : {}),
  });

export const validation = (
  message: string,
  reason: 'unknownOperation' | 'cannotParse' | 'fieldValidationFailed' | 'other',
  fieldList: { name: string; message: string }[] = [],
): MgnError =>
  new MgnError('ValidationException', message, {
    code: reason === 'fieldValidationFailed' ? 'INVALID_FIELD' : reason.toUpperCase(),
    reason,
    ...(fieldList.length ? { fieldList } : {}),
  });

export const quotaExceeded = (
  message: string,
  quotaCode: string,
  quotaValue: number,
  resourceId?: string,
  resourceType: ResourceType = 'SOURCE_SERVER',
): MgnError =>
  new MgnError('ServiceQuotaExceededException', message, {
    code: 'SERVICE_QUOTA_EXCEEDED',
    serviceCode: 'mgn',
    quotaCode,
    quotaValue,
    ...(resourceId ? { resourceId, resourceType } : {}),
  });
