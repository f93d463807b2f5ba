// With `tracker serve --login`, a callback answered 401 means the session is over (signed out
// elsewhere, a new password, the server's users file changed): go to the login page and come
// back here afterwards, instead of leaving a page whose callbacks all fail.
(function () {
    var fetch = window.fetch;
    if (!fetch) { return; }
    // Several callbacks are refused at once: the first leaves, the others must not start the
    // navigation again (each new one would abort the one before).
    var leaving = false;
    window.fetch = function () {
        return fetch.apply(this, arguments).then(function (response) {
            if (!leaving && response.status === 401 && response.url.indexOf("/_dash-") !== -1) {
                leaving = true;
                var here = window.location.pathname + window.location.search;
                window.location.assign("/login?next=" + encodeURIComponent(here));
            }
            return response;
        });
    };
})();
