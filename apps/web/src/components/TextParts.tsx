import { linkParts, type TextPart } from '../format.ts';
import { followLink, isAppLink } from '../router.ts';

/** A line of TextParts: the interface's words as they are, each piece people wrote in its own <bdi>. */
export function TextParts({ parts }: { parts: readonly TextPart[] }) {
  return parts.map((part, index) => (typeof part === 'string' ? part : <bdi key={index}>{part.isolate}</bdi>));
}

/**
 * What someone wrote, as text, with its web links clickable (linkParts). Each link opens in a
 * new tab without handing it this page (noopener) or its address (noreferrer), and reads left
 * to right on its own (dir="ltr"), so a right-to-left sentence cannot move its slashes around.
 * A link to a page of Parley itself ("see https://parley.example/c/7") opens here, in place.
 */
export function LinkedText({ text }: { text: string }) {
  return linkParts(text).map((part, index) =>
    typeof part === 'string' ? (
      part
    ) : isAppLink(part.href, window.location.origin) ? (
      <a key={index} className="text-link" href={part.href} onClick={followLink} dir="ltr">
        {part.link}
      </a>
    ) : (
      <a key={index} className="text-link" href={part.href} target="_blank" rel="noopener noreferrer" dir="ltr">
        {part.link}
      </a>
    ),
  );
}
