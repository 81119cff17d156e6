"""Second-stage reranking: labelled questions, training the learned fusion, recall per setting."""
