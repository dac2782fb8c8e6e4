// Reads what a productpage HTML shows, the way a person looking at it would: which reviews pod
// served it, the stars' colour, and the error messages.
export interface ProductPageView {
  /** `reviews-v2-7d8f9c-abcde`, or undefined when the reviews box shows an error. */
  reviewsPod?: string;
  /** `v1` / `v2` / `v3` from the pod name. */
  reviewsVersion?: string;
  /** The colour of the full stars ("black", "red"); "none" when the page shows no stars. */
  stars: "none" | "black" | "red" | "other";
  detailsShown: boolean;
  reviewsError?: string;
  ratingsError?: string;
  user?: string;
}

export function readProductPage(html: string): ProductPageView {
  const pod = /<dt>Reviews served by:<\/dt>\s*<u>([^<]+)<\/u>/.exec(html)?.[1];
  const colours = new Set([...html.matchAll(/<font color="([^"]+)">/g)].map((m) => m[1]));
  const stars = colours.size === 0 ? "none" : colours.size === 1 && (colours.has("black") || colours.has("red")) ? ([...colours][0] as "black" | "red") : "other";
  return {
    reviewsPod: pod,
    reviewsVersion: pod ? /^reviews-(v\d+)-/.exec(pod)?.[1] : undefined,
    stars,
    detailsShown: html.includes("<h4 class=\"text-center text-primary\">Book Details</h4>"),
    reviewsError: html.includes("Error fetching product reviews!") ? (/Error fetching product reviews!<\/h4>\s*<p>([^<]*)<\/p>/.exec(html)?.[1] ?? "") : undefined,
    ratingsError: /<p><i>(Ratings service is currently unavailable)<\/i><\/p>/.exec(html)?.[1],
    user: /<span class="sr-only">User Name: <\/span>([^<]+)<\/p>/.exec(html)?.[1],
  };
}
