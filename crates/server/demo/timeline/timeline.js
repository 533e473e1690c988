// Agora's own script: more posts as the reader scrolls, and a thank-you when Purse says a tip
// was sent. It talks to Purse only through DOM events (`purse:open`, `purse:tip-sent`).

const creators = {
  lina: { name: 'Lina Haddad', avatar: '/demo/timeline/lina.svg' },
  omar: { name: 'Omar Farouk', avatar: '/demo/timeline/omar.svg' },
  bob: { name: 'Bob Okafor', avatar: '/demo/timeline/bob.svg', notCreator: true },
};

const stories = [
  ['lina', 'Spice market at dawn, before the crowds. The saffron seller let me photograph her scales.', 'market.svg', 'Sacks of spices in red, orange and yellow under a striped awning.'],
  ['omar', 'Practising maqam hijaz tonight. Requests welcome in the replies.', null, null],
  ['bob', 'Finally finished the novel everyone has been talking about. No spoilers, but wow.', null, null],
  ['lina', 'Desert road, no one for miles. Printing this one large.', 'dunes.svg', 'Sand dunes under a pale sky with a road running through them.'],
  ['omar', 'Backstage before the concert. Nervous, happy, tuned.', 'oud.svg', 'An oud lying on a patterned rug, in blue and gold.'],
  ['lina', 'Rooftops in the rain. The city smells like stone and mint.', 'harbour.svg', 'Boats in a harbour at sunset, drawn in warm orange and purple.'],
  ['bob', 'Coffee recommendations near the old town? Asking for a friend (me).', null, null],
];

const feed = document.getElementById('feed');
const pageSize = 4;
const pages = 6;
let page = 0;
let nextId = 4;

function post([who, text, image, alt]) {
  const person = creators[who];
  const id = String(nextId++);
  const article = document.createElement('article');
  article.className = 'post';
  article.dataset.post = id;
  const avatar = document.createElement('img');
  Object.assign(avatar, { className: 'avatar', src: person.avatar, alt: '', width: 48, height: 48 });
  const body = document.createElement('div');
  body.className = 'post-body';
  const byline = document.createElement('p');
  byline.className = 'byline';
  byline.innerHTML = `<strong></strong> <span class="handle"></span>`;
  byline.querySelector('strong').textContent = person.name;
  byline.querySelector('.handle').textContent = `@${who} · ${5 + Number(id)}h`;
  const paragraph = document.createElement('p');
  paragraph.textContent = text;
  body.append(byline, paragraph);
  if (image) {
    const picture = document.createElement('img');
    Object.assign(picture, { className: 'post-image', src: `/demo/timeline/${image}`, alt, width: 560, height: 315 });
    body.append(picture);
  }
  const actions = document.createElement('div');
  actions.className = 'post-actions';
  actions.innerHTML = `<span class="stat">${(Number(id) * 7) % 60} replies</span><span class="stat">${(Number(id) * 37) % 900} likes</span>`;
  if (!person.notCreator) {
    // A mount point, added after Purse started: Purse finds it by itself.
    const tip = document.createElement('div');
    tip.dataset.purseTip = '';
    tip.dataset.creator = who;
    tip.dataset.post = id;
    actions.append(tip);
  }
  body.append(actions);
  article.append(avatar, body);
  return article;
}

const sentinel = document.createElement('p');
sentinel.className = 'feed-end';
sentinel.textContent = 'Loading more posts…';
feed.append(sentinel);

let loading = false;
function loadMore() {
  if (loading || page >= pages) return;
  loading = true;
  // As a real timeline would, from the network.
  setTimeout(() => {
    for (let i = 0; i < pageSize; i++) {
      sentinel.before(post(stories[(page * pageSize + i) % stories.length]));
    }
    page += 1;
    loading = false;
    if (page >= pages) {
      sentinel.textContent = "You're all caught up.";
      observer.disconnect();
    }
  }, 250);
}

const observer = new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting)) loadMore();
}, { rootMargin: '400px' });
observer.observe(sentinel);

// Purse tells the page when a tip went through; the page says thank you its own way.
document.addEventListener('purse:tip-sent', (event) => {
  const tip = event.detail;
  const name = creators[tip.creator]?.name ?? `@${tip.creator}`;
  const toast = document.createElement('p');
  toast.className = 'toast';
  toast.dataset.tipId = tip.id;
  toast.textContent = `You tipped ${name} $${tip.amount}. Thank you for supporting creators!`;
  document.getElementById('toasts').append(toast);
  setTimeout(() => toast.remove(), 8000);
});

// The page asks Purse to open the wallet.
document.getElementById('open-wallet').addEventListener('click', () => {
  document.dispatchEvent(new CustomEvent('purse:open'));
});
