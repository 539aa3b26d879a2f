import type { TextPart } from '../format.ts';

/** A line of TextParts: the interface's words as they are, each piece people wrote in its own <bdi>. */
export function TextParts({ parts }: { parts: readonly TextPart[] }) {
  return parts.map((part, index) => (typeof part === 'string' ? part : <bdi key={index}>{part.isolate}</bdi>));
}
