/* Search ranking of the course site: Sphinx's default scores, with the notebooks (the pages that
 * teach) ahead of other pages on a tie; e.g. "torchrun" finds notebook 15 before the recipe that
 * links to it. Loaded through html_search_scorer in conf.py. */
var Scorer = {
  score: (result) => {
    const [docname, , , , score] = result;
    return docname.startsWith("notebooks/") ? score + 2 : score;
  },
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};
